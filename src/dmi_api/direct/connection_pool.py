"""A small pool of database connections for one event loop (one worker's direct statements).

Why not asyncpg's own pool: its release shields a task per call and its acquire wraps a timeout
around a queue, which cost as much CPU per request as the statement itself. Direct statements
are single autocommit statements, so the pool knows from how a statement ended whether its
connection can be reused: after success or a server-side error it is idle and goes back; after
anything else (cancelled, timed out, broken) it is terminated and a new one opened on demand.

Most recently used first (warm statement caches, bound clinics); a connection idle longer than
`idle_seconds` is closed on the next acquire; at most `size` are open; callers beyond that wait
in order, up to the acquire timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar


class PooledConnection(Protocol):
    """What the pool needs of a connection."""

    def is_closed(self) -> bool:
        """Whether the connection is closed."""

    def is_in_transaction(self) -> bool:
        """Whether a transaction is open on it."""

    def terminate(self) -> None:
        """Close it at once, without a goodbye to the server."""

    async def close(self) -> None:
        """Close it gracefully."""


ConnT = TypeVar("ConnT", bound=PooledConnection)


class PoolClosedError(ConnectionError):
    """The pool was closed (the worker is shutting down)."""


class ConnectionPool(Generic[ConnT]):
    """At most `size` connections from `connect`, handed out one caller at a time."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[ConnT]],
        *,
        size: int,
        idle_seconds: float,
        acquire_timeout: float,
    ) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one connection")
        self._connect = connect
        self._size = size
        self._acquire_timeout = acquire_timeout
        self._idle_seconds = idle_seconds
        self._idle: list[tuple[float, ConnT]] = []  # (released at, connection), oldest first
        self._open = 0  # connections open or being opened (idle ones included)
        # A waiter gets a connection, or None: a slot is free, open one.
        self._waiters: deque[asyncio.Future[ConnT | None]] = deque()
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def open_count(self) -> int:
        """Connections open or being opened."""
        return self._open

    @property
    def idle_count(self) -> int:
        """Connections waiting in the pool."""
        return len(self._idle)

    async def acquire(self) -> ConnT:
        """A connection for one caller; TimeoutError when none is ready within the timeout."""
        if self._closed:
            raise PoolClosedError("the connection pool is closed")
        self._expire_idle()
        while self._idle:
            _, conn = self._idle.pop()
            if not conn.is_closed():
                return conn
            self._open -= 1
        if self._open < self._size:
            self._open += 1
            return await self._open_one()
        return await self._wait()

    def release(self, conn: ConnT, *, reusable: bool) -> None:
        """Give the connection back; one that is not reusable is terminated."""
        if not reusable or self._closed or conn.is_closed() or conn.is_in_transaction():
            if not conn.is_closed():
                conn.terminate()
            self._open -= 1
            self._free_slot()
            return
        if not self._hand_over(conn):
            self._idle.append((time.monotonic(), conn))

    def open(self) -> None:
        """Serve callers again after `close` (an app started again: its lifespan ran twice)."""
        self._closed = False

    async def close(self) -> None:
        """Close idle connections and refuse new callers; busy ones close when released."""
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(PoolClosedError("the connection pool is closed"))
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        await asyncio.gather(*(self._close_quietly(conn) for _, conn in idle))
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def _open_one(self) -> ConnT:
        """Open a connection in a slot already counted in `_open`."""
        try:
            async with asyncio.timeout(self._acquire_timeout):
                return await self._connect()
        except BaseException:
            self._open -= 1
            self._free_slot()  # a waiter may open one instead
            raise

    async def _wait(self) -> ConnT:
        waiter: asyncio.Future[ConnT | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self._acquire_timeout):
                conn = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Handed over just as this caller gave up: pass it on, do not lose it.
                handed = waiter.result()
                if handed is None:  # the slot reserved for this caller
                    self._open -= 1
                    self._free_slot()
                else:
                    self.release(handed, reusable=True)
            else:
                waiter.cancel()
                self._discard_waiter(waiter)
            raise
        if conn is None:
            return await self._open_one()  # `_free_slot` counted it
        return conn

    def _free_slot(self) -> None:
        """A slot freed up: the first waiter, if any, gets it (counted now) and opens one."""
        if self._hand_over(None):
            self._open += 1

    def _hand_over(self, conn: ConnT | None) -> bool:
        """Give a connection (or a free slot: None) to the first caller still waiting."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    def _discard_waiter(self, waiter: asyncio.Future[ConnT | None]) -> None:
        with contextlib.suppress(ValueError):  # already handed over or popped
            self._waiters.remove(waiter)

    def _expire_idle(self) -> None:
        deadline = time.monotonic() - self._idle_seconds
        while self._idle and self._idle[0][0] < deadline:
            _, conn = self._idle.pop(0)
            self._open -= 1
            task = asyncio.ensure_future(self._close_quietly(conn))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close_quietly(conn: ConnT) -> None:
        try:
            async with asyncio.timeout(5):
                await conn.close()
        except Exception:  # closing an idle connection: nothing to report, just drop it
            conn.terminate()
