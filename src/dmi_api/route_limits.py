"""A bulkhead per route: how many pooled connections one route may hold at once.

A route whose statements wait on a locked table keeps its connections until the lock timeout;
without a bound, sixty callers of that route would hold the whole pool and every other route
would wait behind them. With it, the route gets a share of the pool and its further callers
wait for the route's own slots (then 503, like an exhausted pool), never for the others'.

Counters rather than one `asyncio.Semaphore` per route: a free slot is taken without a
coroutine (`try_acquire`), on the hot path of every direct read.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Hashable


class RouteLimits:
    """At most `limit` holders per route at once; beyond, callers wait in order up to
    `timeout`, then `TimeoutError` (answered 503 with Retry-After)."""

    def __init__(self, limit: int, timeout: float) -> None:
        if limit < 1:
            raise ValueError("a route needs at least one connection")
        self.limit = limit
        self._timeout = timeout
        # Per route (a bounded set: the app's routes): slots held, callers waiting for one.
        self._held: dict[Hashable, int] = {}
        self._waiters: dict[Hashable, deque[asyncio.Future[None]]] = {}

    @classmethod
    def share_of(cls, pool_size: int, share: float, timeout: float) -> RouteLimits:
        """Limits that leave `1 - share` of a pool of `pool_size` to the other routes."""
        return cls(max(1, int(pool_size * share)), timeout)

    def try_acquire(self, route: Hashable) -> bool:
        """Take one of the route's slots if one is free and nobody waits for it."""
        held = self._held.get(route, 0)
        if held < self.limit and not self._waiters.get(route):
            self._held[route] = held + 1
            return True
        return False

    async def acquire(self, route: Hashable) -> None:
        """Take one of the route's slots, waiting in order for one up to the timeout."""
        if self.try_acquire(route):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters.setdefault(route, deque())
        waiters.append(waiter)
        try:
            async with asyncio.timeout(self._timeout):
                await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release(route)  # handed the slot just as this caller gave up: pass it on
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    waiters.remove(waiter)
            raise

    def release(self, route: Hashable) -> None:
        """Give the slot back: to the route's first waiter, if any (the count stays)."""
        waiters = self._waiters.get(route)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._held[route] -= 1
