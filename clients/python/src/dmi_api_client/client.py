"""`DmiClient`: the synchronous client."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

import httpx

from dmi_api_client import operations as ops
from dmi_api_client import resources as r
from dmi_api_client.config import settings_from_env
from dmi_api_client.exporting import Exports
from dmi_api_client.flow import USER_AGENT
from dmi_api_client.retry import RetryPolicy
from dmi_api_client.tokens import Credentials, TokenCache
from dmi_api_client.transport import Transport


def token_cache(
    base_url: str,
    credentials: Credentials,
    scope: str | None,
    token_url: str | None,
    token_leeway: float | None,
) -> TokenCache:
    """The token cache of a client of `base_url`."""
    url = token_url or base_url.rstrip("/") + "/oauth/token"
    return TokenCache(credentials, url, scope=scope, leeway=token_leeway)


class DmiClient:
    """The dmi-api client (synchronous); use it as a context manager or `close()` it.

    `credentials`: `ClientSecret(id, secret)` or `PrivateKeyJwt(id, pem, key_id=...)`.
    `scope`: narrower scopes than the client's. `token_url`: default `<base_url>/oauth/token`
    (also the assertion's audience). `token_leeway`: seconds before expiry to fetch a new token.
    `retry`: how 429/503 and broken connections are retried. `http`: an `httpx.Client` of
    your own (its base URL must be the API's).
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        scope: str | None = None,
        token_url: str | None = None,
        token_leeway: float | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.http = http or httpx.Client(
            base_url=base_url, timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
        tokens = token_cache(base_url, credentials, scope, token_url, token_leeway)
        self.transport = Transport(self.http, tokens, retry or RetryPolicy())
        t = self.transport
        self.children = r.Children(t, ops.CHILDREN)
        self.practitioners = r.Records(t, ops.PRACTITIONERS)
        self.exercises = r.Records(t, ops.EXERCISES)
        self.prescriptions = r.Prescriptions(t, ops.PRESCRIPTIONS)
        self.milestones = r.Records(t, ops.MILESTONES)
        self.assessments = r.Records(t, ops.ASSESSMENTS)
        self.session_records = r.SessionRecords(t, ops.SESSION_RECORDS)
        self.due = r.Due(t)
        self.events = r.Events(t)
        self.audit_events = r.AuditEvents(t)
        self.clients = r.Clients(t, ops.CLIENTS)
        self.webhook_endpoints = r.WebhookEndpoints(t, ops.WEBHOOK_ENDPOINTS)
        self.clinic_settings = r.ClinicSettings(t)
        self.exports = Exports(t)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        token_leeway: float | None = None,
    ) -> DmiClient:
        """A client configured by `DMI_URL`, `DMI_CLIENT_ID`, `DMI_CLIENT_SECRET` or
        `DMI_PRIVATE_KEY` + `DMI_KEY_ID` (see `dmi_api_client.config`)."""
        s = settings_from_env(env)
        return cls(
            s.base_url,
            s.credentials,
            scope=s.scope,
            token_url=s.token_url,
            token_leeway=token_leeway,
            retry=retry,
            timeout=timeout,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DmiClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
