"""When to try a request again, and after how long: 429 and 503 (honouring `Retry-After`, in
seconds or as an HTTP date), a gateway's 502 and 504 and broken connections (for a request
safe to send twice); exponential backoff with jitter, capped. Pure decisions: the transports
do the waiting."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 503})
# A gateway's (load balancer's, proxy's) answers: the app was unreachable or did not answer in
# time, and may or may not have received the request, as after a connection broken mid-request.
GATEWAY_STATUSES = frozenset({502, 504})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta-seconds or HTTP date), else None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How a call is retried.

    `attempts`: tries in all (1 never retries). `backoff`/`max_backoff`: the first delay and
    the cap of the doubling ones (each with jitter: half fixed, half random).
    `max_retry_after`: a `Retry-After` longer than this is not waited for: the call fails.
    """

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 20.0
    max_retry_after: float = 120.0

    def backoff_delay(self, attempt: int) -> float:
        """The delay before try `attempt + 1` (attempt counts from 1) without `Retry-After`."""
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        jitter: float = random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not secrets)
        return ceiling / 2 + jitter

    def after_status(
        self,
        attempt: int,
        status: int,
        headers: Mapping[str, str],
        *,
        retry_safe: bool = False,
        now: datetime | None = None,
    ) -> float | None:
        """Seconds to wait before trying again after `status`, or None to stop here (a
        gateway's 502 or 504 only for a request safe to send twice)."""
        retried = status in RETRY_STATUSES or (retry_safe and status in GATEWAY_STATUSES)
        if not retried or attempt >= self.attempts:
            return None
        asked = parse_retry_after(headers.get("retry-after"), now=now)
        if asked is None:
            return self.backoff_delay(attempt)
        if asked > self.max_retry_after:
            return None
        # Never before the server said; a little later, so that clients told the same moment
        # do not all come back at once.
        return asked + random.uniform(0, min(1.0, asked / 10))  # noqa: S311

    def after_error(
        self, attempt: int, error: httpx.TransportError, *, retry_safe: bool
    ) -> float | None:
        """Seconds to wait after a transport error, or None to raise it. A connection that was
        never made sent nothing, so any request is tried again; after one that broke, only a
        request that is safe to send twice."""
        if attempt >= self.attempts:
            return None
        never_sent = isinstance(
            error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
        )
        if never_sent or (
            retry_safe
            and isinstance(
                error, httpx.NetworkError | httpx.TimeoutException | httpx.RemoteProtocolError
            )
        ):
            return self.backoff_delay(attempt)
        return None


NO_RETRY = RetryPolicy(attempts=1)
