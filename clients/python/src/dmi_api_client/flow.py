"""What a call does after each attempt, shared by the sync and async transports: return the
answer, wait and send again (429/503, a broken connection), fetch a new token once (401), or
raise. The transports only send, sleep and lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from dmi_api_client.requests import ApiRequest
from dmi_api_client.retry import RetryPolicy

USER_AGENT = "dmi-api-client/0.1"


@dataclass(frozen=True)
class Step:
    """Next: `wait` seconds then send again; `reauthorize` first (a new token); or neither:
    the attempt's answer is final."""

    wait: float | None = None
    reauthorize: bool = False

    @property
    def final(self) -> bool:
        return self.wait is None and not self.reauthorize


FINAL = Step()


@dataclass
class Attempts:
    """The state of one call across its attempts."""

    request: ApiRequest
    policy: RetryPolicy
    count: int = 0
    reauthorized: bool = False
    # A token request: its 401 is final (the credentials were refused).
    for_token: bool = False

    def after_response(self, response: httpx.Response) -> Step:
        """The step after an answer."""
        if response.status_code == 401 and not (self.reauthorized or self.for_token):
            # The token may have been revoked or have expired early (clock skew): one new one.
            self.reauthorized = True
            return Step(wait=0.0, reauthorize=True)
        wait = self.policy.after_status(
            self.count,
            response.status_code,
            response.headers,
            retry_safe=self.request.retry_safe,
        )
        return FINAL if wait is None else Step(wait=wait)

    def after_error(self, error: httpx.TransportError) -> Step:
        """The step after a transport error (FINAL: raise it)."""
        wait = self.policy.after_error(self.count, error, retry_safe=self.request.retry_safe)
        return FINAL if wait is None else Step(wait=wait)


def request_kwargs(request: ApiRequest, authorization: str) -> dict[str, Any]:
    """`httpx.Client.build_request` arguments of an attempt."""
    headers = {"Accept": "application/json", **request.headers, "Authorization": authorization}
    kwargs: dict[str, Any] = {"params": request.params, "headers": headers}
    if request.json is not None:
        kwargs["json"] = request.json
    return {"method": request.method, "url": request.path, **kwargs}


def path_on_base(url: str, base_url: str) -> str:
    """A URL the API handed out (an export file), as a path on the client's own base URL: the
    token is only ever sent to the server the client was configured with."""
    parts, base = urlsplit(url), urlsplit(base_url)
    path = parts.path
    prefix = base.path.rstrip("/")
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    return path + (f"?{parts.query}" if parts.query else "")
