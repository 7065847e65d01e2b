"""A client's quota, counted in a store every worker shares, at a fraction of a lookup a request.

The counting is the `limits` library's sliding window counter, in Redis (or in the process on
the embedded default). Asking Redis twice a request (charge, then read what remains) would cost
more than serving a cached read does (bench/README.md, "Rate limits"), so each worker leases
units ahead: it charges the shared window for several requests at once and spends them locally.
The shared count is therefore never below what was admitted: a client's quota holds across any
number of workers and replicas. A lease lives one second; units a worker leased and did not
spend in that time are forfeited (never lent twice). Its size adapts: it doubles while a client
spends its leases within their second, halves when one expires, and is at most a fiftieth of
the quota, so a quiet client is charged request by request and wastes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from limits import RateLimitItemPerMinute
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from dmi_api.rate_limits.verdicts import Verdict

logger = logging.getLogger(__name__)

LEASE_SECONDS = 1.0
MAX_LEASE_SHARE = 50  # a lease is at most quota / 50 units
MAX_TRACKED_CLIENTS = 10_000  # past this, expired leases are dropped
OUTAGE_BACKOFF_SECONDS = 1.0  # after a store failure, requests pass uncounted this long


@dataclass(slots=True)
class _Lease:
    units: int  # charged to the shared window, not yet spent here
    size: int  # units the next lease takes
    expires: float  # monotonic time past which `units` are forfeited
    remaining: int = 0  # what the shared window had left after the last lease
    reset_at: float = 0.0  # wall-clock time more units become free
    leasing: asyncio.Lock = field(default_factory=asyncio.Lock)


class QuotaLeases:
    """Charges requests to their client's quota through a `limits` sliding window counter."""

    def __init__(
        self,
        limiter: SlidingWindowCounterRateLimiter,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._limiter = limiter
        self._close = close
        self._monotonic = monotonic
        self._leases: dict[str, _Lease] = {}
        self._store_down_until = 0.0

    async def charge(self, client_key: str, quota: int, cost: int) -> Verdict:
        """Take `cost` units of the client's `quota`; a refusal takes nothing."""
        lease = self._leases.get(client_key)
        if lease is not None and lease.units >= cost and lease.expires > self._monotonic():
            lease.units -= cost
            return _verdict(True, quota, lease)
        if self._monotonic() < self._store_down_until:
            return Verdict(True, quota, None, 0)
        if lease is None:
            self._forget_expired(self._monotonic())
            lease = self._leases[client_key] = _Lease(units=0, size=cost, expires=0.0)
        # One lease at a time per client: the requests that find it spent wait for the lease
        # in flight and spend it, instead of each leasing (and each doubling) on its own.
        async with lease.leasing:
            if lease.units >= cost and lease.expires > self._monotonic():
                lease.units -= cost
                return _verdict(True, quota, lease)
            try:
                return await self._lease(client_key, quota, cost, lease)
            except StorageError:
                # Availability first: the store being down must not take the API down with it.
                self._store_down_until = self._monotonic() + OUTAGE_BACKOFF_SECONDS
                logger.warning("rate limit store unavailable; requests pass uncounted for a second")
                return Verdict(True, quota, None, 0)

    async def _lease(self, client_key: str, quota: int, cost: int, lease: _Lease) -> Verdict:
        live = lease.expires > self._monotonic()
        # What is left of a live lease is this request's while it leases more (nothing else
        # spends it meanwhile); an expired lease's is forfeited.
        held, lease.units = (lease.units if live else 0), 0
        # Spent within its second: the client is busy, lease more; otherwise, less.
        lease.size = lease.size * 2 if live else lease.size // 2
        lease.size = max(1, min(lease.size, quota // MAX_LEASE_SHARE))
        item = RateLimitItemPerMinute(quota)
        need = cost - held
        take = max(need, lease.size)
        try:
            allowed = await self._limiter.hit(item, client_key, cost=take)
            if not allowed and take > need:
                take = need
                allowed = await self._limiter.hit(item, client_key, cost=take)
            stats = await self._limiter.get_window_stats(item, client_key)
        except StorageError:
            lease.units = held
            raise
        if allowed:
            lease.units = held + take - cost
            lease.expires = self._monotonic() + LEASE_SECONDS
        else:
            lease.units = held
        lease.remaining = stats.remaining
        lease.reset_at = stats.reset_time
        return _verdict(allowed, quota, lease)

    async def close(self) -> None:
        """Release the store's connections (at shutdown)."""
        if self._close is not None:
            await self._close()

    def _forget_expired(self, now: float) -> None:
        if len(self._leases) >= MAX_TRACKED_CLIENTS:
            self._leases = {k: v for k, v in self._leases.items() if v.expires > now}


def _verdict(allowed: bool, quota: int, lease: _Lease) -> Verdict:
    # Units leased here but not yet spent are still the client's to use.
    remaining = min(quota, lease.remaining + lease.units)
    reset = max(0, math.ceil(lease.reset_at - time.time()))
    return Verdict(allowed, quota, remaining, max(1, reset) if not allowed else reset)
