"""The direct statements' connection pool, on real PostgreSQL connections."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from dmi_api.app import create_app
from dmi_api.auth.principal import Principal
from dmi_api.config import Settings
from dmi_api.direct.bound_db import PoolSource
from dmi_api.direct.connection_pool import ConnectionPool, PoolClosedError

pytestmark = pytest.mark.postgres_only

PRINCIPAL = Principal(
    client_id=uuid.uuid4(), clinic_id=uuid.uuid4(), scopes=frozenset(), token_jti="pool-test"
)


@pytest.fixture
async def source(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[PoolSource]:
    # The whole pool to one caller (the route limits have tests of their own).
    overrides: dict[str, Any] = {
        "direct_pool_size": 2,
        "db_pool_timeout_seconds": 5,
        "db_route_pool_share": 1.0,
    }
    overrides |= getattr(request, "param", {})
    source = PoolSource(settings.model_copy(update=overrides))
    yield source
    await source.close()


async def _pid(source: PoolSource, sql: str = "SELECT pg_backend_pid()") -> int:
    async with source.connection(PRINCIPAL) as conn:
        pid: int = await conn.fetchval(sql)
        return pid


class TestReuse:
    async def test_connections_are_reused_and_never_more_than_the_size(
        self, source: PoolSource
    ) -> None:
        async def busy() -> int:
            return await _pid(source, "SELECT pg_backend_pid() FROM pg_sleep(0.02)")

        pids = await asyncio.gather(*(busy() for _ in range(10)))
        assert len(set(pids)) == 2
        assert (source.pool.open_count, source.pool.idle_count) == (2, 2)
        assert await _pid(source) in pids

    async def test_a_server_error_keeps_the_connection(self, source: PoolSource) -> None:
        before = await _pid(source)
        with pytest.raises(asyncpg.DivisionByZeroError):
            await _pid(source, "SELECT 1 / 0")
        assert await _pid(source) == before
        assert source.pool.open_count == 1


class TestBrokenConnections:
    async def test_a_cancelled_statement_does_not_come_back(self, source: PoolSource) -> None:
        before = await _pid(source)
        task = asyncio.ensure_future(_pid(source, "SELECT pg_backend_pid() FROM pg_sleep(10)"))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert source.pool.open_count == 0
        assert await _pid(source) != before

    async def test_a_connection_the_server_ended_is_replaced(
        self, source: PoolSource, settings: Settings
    ) -> None:
        before = await _pid(source)
        other = await source._connect()  # outside the pool
        try:
            # Any role may end its own role's backends; wait (up to 5 s) until it has exited.
            assert await other.fetchval("SELECT pg_terminate_backend($1, 5000)", before)
        finally:
            await other.close()
        await asyncio.sleep(0.05)  # the server's goodbye reaches the idle socket
        after = await _pid(source)  # the pool saw the connection closed: no failed statement
        assert after != before
        assert source.pool.open_count == 1


async def _held_and_waiting(
    pool: ConnectionPool[Any],
) -> tuple[Any, asyncio.Future[Any]]:
    """The pool's one connection taken, and a second caller waiting for it."""
    held = await pool.acquire()
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0)
    return held, waiter


class TestWaiting:
    @pytest.mark.parametrize("source", [{"direct_pool_size": 1}], indirect=True)
    async def test_a_caller_waits_then_times_out(
        self, source: PoolSource, settings: Settings
    ) -> None:
        quick = ConnectionPool(
            source._connect, size=1, idle_seconds=300, acquire_timeout=0.2
        )  # same connections, a short wait
        held = await quick.acquire()
        try:
            with pytest.raises(TimeoutError):
                await quick.acquire()
        finally:
            quick.release(held, reusable=True)
        again = await quick.acquire()
        assert again is held
        quick.release(again, reusable=True)
        await quick.close()

    @pytest.mark.parametrize("source", [{"direct_pool_size": 1}], indirect=True)
    async def test_a_released_connection_goes_to_the_first_waiter(self, source: PoolSource) -> None:
        pool = source.pool
        held, waiter = await _held_and_waiting(pool)
        pool.release(held, reusable=True)
        assert await waiter is held
        pool.release(held, reusable=True)

    @pytest.mark.parametrize("source", [{"direct_pool_size": 1}], indirect=True)
    async def test_a_waiter_cancelled_as_it_is_served_loses_no_connection(
        self, source: PoolSource
    ) -> None:
        pool = source.pool
        held, waiter = await _held_and_waiting(pool)
        pool.release(held, reusable=True)  # handed to the waiter ...
        waiter.cancel()  # ... which gives up before it runs
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert (pool.open_count, pool.idle_count) == (1, 1)
        assert await pool.acquire() is held
        pool.release(held, reusable=True)

    @pytest.mark.parametrize("source", [{"direct_pool_size": 1}], indirect=True)
    async def test_a_freed_slot_goes_to_the_waiter_without_exceeding_the_size(
        self, source: PoolSource
    ) -> None:
        pool = source.pool
        held, waiter = await _held_and_waiting(pool)
        pool.release(held, reusable=False)  # terminated: the waiter opens a new one
        assert pool.open_count == 1
        fresh = await waiter
        assert fresh is not held
        assert held.is_closed()
        assert not fresh.is_closed()
        assert pool.open_count == 1
        pool.release(fresh, reusable=True)


class TestLifetime:
    async def test_idle_connections_are_closed_after_the_idle_time(
        self, source: PoolSource
    ) -> None:
        pool = ConnectionPool(source._connect, size=2, idle_seconds=0.05, acquire_timeout=5)
        first = await pool.acquire()
        pool.release(first, reusable=True)
        await asyncio.sleep(0.1)
        second = await pool.acquire()
        assert second is not first
        await asyncio.sleep(0.1)
        assert first.is_closed()
        assert pool.open_count == 1
        pool.release(second, reusable=True)
        await pool.close()

    async def test_close_closes_idle_refuses_callers_and_ends_busy_ones_on_release(
        self, source: PoolSource
    ) -> None:
        pool = source.pool
        idle, busy = await pool.acquire(), await pool.acquire()
        pool.release(idle, reusable=True)
        await source.close()
        assert idle.is_closed()
        with pytest.raises(PoolClosedError):
            await pool.acquire()
        pool.release(busy, reusable=True)
        assert busy.is_closed()
        assert pool.open_count == 0

    async def test_an_app_started_again_serves_direct_statements_again(
        self, settings: Settings
    ) -> None:
        # An ASGI app may see its lifespan more than once (an embedding server, a test driver):
        # the pool its first shutdown closed serves after the next start-up.
        app = create_app(settings)
        for _ in range(2):
            async with (
                app.router.lifespan_context(app),
                app.state.direct.source.connection(PRINCIPAL) as conn,
            ):
                assert await conn.fetchval("SELECT 1") == 1
        with pytest.raises(PoolClosedError):
            await app.state.direct.source.pool.acquire()
