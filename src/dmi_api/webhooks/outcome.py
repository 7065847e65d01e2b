"""One delivery attempt and what is kept of it: the status code, the latency, an error class
and the wait a 429 or 503 asked for (`Retry-After`), never the receiver's response body
(README: "Outbound safety")."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta

import httpx

from dmi_api.webhooks.retry_after import ASKS_TO_WAIT, asked_wait
from dmi_api.webhooks.safe_transport import (
    DeliveryClient,
    HostUnresolvedError,
    OutboundRefusedError,
)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What a delivery attempt leaves: `error_class` is None for a 2xx, else one of
    `address_refused`, `scheme_refused`, `dns_error`, `connection_refused`, `tls_error`,
    `connection_error`, `timeout`, `protocol_error`, `network_error`,
    `redirect_not_followed` (3xx) and `http_error` (any other status)."""

    status_code: int | None
    latency_ms: float
    error_class: str | None
    # A 429 or 503's `Retry-After`: the wait it asked for (None: none, or not readable).
    retry_after: timedelta | None = None

    @property
    def delivered(self) -> bool:
        """Whether the receiver accepted the event (a 2xx)."""
        return self.error_class is None

    @property
    def gone(self) -> bool:
        """Whether the receiver answered 410 Gone: it wants no more deliveries (Standard
        Webhooks: the sender disables the endpoint)."""
        return self.status_code == 410


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, what caused it, and so on, members of exception groups included."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _network_error_class(error: httpx.HTTPError) -> str:
    causes = list(_causes(error))
    if any(isinstance(cause, HostUnresolvedError) for cause in causes):
        return "dns_error"
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "connection_refused"
    if any(isinstance(cause, ssl.SSLError | ssl.CertificateError) for cause in causes):
        return "tls_error"
    if isinstance(error, httpx.ConnectError):
        return "connection_error"
    if isinstance(error, httpx.ProtocolError):
        return "protocol_error"
    return "network_error"


def _status_error_class(status_code: int) -> str | None:
    if 200 <= status_code < 300:
        return None
    return "redirect_not_followed" if 300 <= status_code < 400 else "http_error"


async def post_json(
    client: DeliveryClient, url: str, body: bytes, headers: Mapping[str, str]
) -> DeliveryOutcome:
    """POST `body` (JSON) to `url` and return the outcome; the response body is closed unread.
    Never raises for the receiver's failures: each becomes an `error_class`."""
    started = time.perf_counter()
    status_code: int | None = None
    retry_after: timedelta | None = None
    try:
        async with asyncio.timeout(client.total_timeout_seconds):
            request_headers = {"Content-Type": "application/json", **headers}
            async with client.stream(
                "POST", url, content=body, headers=request_headers, follow_redirects=False
            ) as response:
                status_code = response.status_code
                if status_code in ASKS_TO_WAIT:
                    retry_after = asked_wait(response.headers.get("Retry-After"))
        error_class = _status_error_class(status_code)
    except OutboundRefusedError as refused:
        error_class = (
            "scheme_refused" if refused.code == "scheme_not_allowed" else "address_refused"
        )
    except (TimeoutError, httpx.TimeoutException):
        error_class = "timeout"
    except httpx.HTTPError as error:
        error_class = _network_error_class(error)
    latency_ms = (time.perf_counter() - started) * 1000
    return DeliveryOutcome(
        status_code=status_code,
        latency_ms=latency_ms,
        error_class=error_class,
        retry_after=retry_after,
    )
