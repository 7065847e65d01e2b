"""The API without its rate limits, and with them counted request by request
(`--compare-variants no_rate_limits,rate_limits_per_request`).

- `create_app_without_rate_limits`: no request is charged (no quota, no headers): what the
  rate limits cost is the API's throughput against this one's.
- `create_app_rate_limits_per_request`: the `limits` library as its documentation uses it,
  on the same Redis: each request is charged (`hit`) and what remains read
  (`get_window_stats`), two round trips, instead of the API's leases
  (`dmi_api/rate_limits/leases.py`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from limits import RateLimitItemPerMinute
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import Request

from dmi_api.app import create_app
from dmi_api.auth import dependencies
from dmi_api.auth.principal import Principal
from dmi_api.config import get_settings
from dmi_api.rate_limits.stores import shared_limiter
from dmi_api.rate_limits.verdicts import Verdict


async def _charge_nothing(_request: Request, _principal: Principal) -> None:
    """No quota."""


def create_app_without_rate_limits() -> FastAPI:
    """The app with no rate limit charged."""
    dependencies.charge_request = _charge_nothing  # type: ignore[attr-defined,assignment]
    return create_app()


class PerRequestQuota:
    """Each request charged to the shared window, then what remains read: two round trips."""

    def __init__(
        self, limiter: SlidingWindowCounterRateLimiter, close: Callable[[], Awaitable[None]] | None
    ) -> None:
        self._limiter = limiter
        self._close = close

    async def charge(self, client_key: str, quota: int, cost: int) -> Verdict:
        item = RateLimitItemPerMinute(quota)
        allowed = await self._limiter.hit(item, client_key, cost=cost)
        stats = await self._limiter.get_window_stats(item, client_key)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        return Verdict(allowed, quota, stats.remaining, reset)

    async def close(self) -> None:
        if self._close is not None:
            await self._close()


def create_app_rate_limits_per_request() -> FastAPI:
    """The app charging each request to Redis through the library, without leases."""
    settings = get_settings()
    app = create_app(settings)
    app.state.quota_leases = PerRequestQuota(*shared_limiter(settings))
    return app
