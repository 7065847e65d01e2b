"""A bulkhead per route: how many pooled connections one route may hold at once.

A route whose statements wait on a locked table keeps its connections until the lock timeout;
without a bound, sixty callers of that route would hold the whole pool and every other route
would wait behind them. With it, the route gets a share of the pool and its further callers
wait for the route's own slots (then 503, like an exhausted pool), never for the others'.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable


class RouteLimits:
    """At most `limit` holders per route at once; beyond, callers wait in order up to
    `timeout`, then `TimeoutError` (answered 503 with Retry-After)."""

    def __init__(self, limit: int, timeout: float) -> None:
        if limit < 1:
            raise ValueError("a route needs at least one connection")
        self.limit = limit
        self._timeout = timeout
        # One per route (a bounded set: the app's routes), made on the route's first request.
        self._slots: dict[Hashable, asyncio.Semaphore] = {}

    @classmethod
    def share_of(cls, pool_size: int, share: float, timeout: float) -> RouteLimits:
        """Limits that leave `1 - share` of a pool of `pool_size` to the other routes."""
        return cls(max(1, int(pool_size * share)), timeout)

    async def acquire(self, route: Hashable) -> None:
        """Take one of the route's slots (no suspension while one is free)."""
        slots = self._slots.get(route)
        if slots is None:
            slots = self._slots[route] = asyncio.Semaphore(self.limit)
        if slots.locked():
            async with asyncio.timeout(self._timeout):
                await slots.acquire()
        else:
            await slots.acquire()

    def release(self, route: Hashable) -> None:
        """Give the slot back (to the route's first waiter, if any)."""
        self._slots[route].release()
