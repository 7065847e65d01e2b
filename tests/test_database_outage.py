"""A database that is down, hanging or saturated answers 503 with Retry-After, then recovers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
import sqlalchemy.exc as sa_exc
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dmi_api.config import Settings
from dmi_api.db import create_engine
from tests.conftest import Database, build_test_app
from tests.support.records import seed_child
from tests.support.tcp_proxy import TcpProxy
from tests.support.tenants import bearer, make_tenant, mint_token

pytestmark = pytest.mark.postgres_only


def _settings_through(proxy: TcpProxy, database_url: str, **overrides: object) -> Settings:
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    values: dict[str, object] = {"db_connect_timeout_seconds": 1.0, "db_pool_timeout_seconds": 0.5}
    return Settings(
        database_url=SecretStr(url.render_as_string(hide_password=False)),
        **(values | overrides),  # type: ignore[arg-type]
    )


# The defaults: an app's first requests open several connections at once, slow on a busy machine.
_FIRST_CONNECTIONS: dict[str, object] = {
    "db_connect_timeout_seconds": 3.0,
    "db_pool_timeout_seconds": 2.0,
}


@pytest.fixture
async def proxied_app(proxy: TcpProxy, database_url: str) -> AsyncIterator[FastAPI]:
    app = build_test_app(_settings_through(proxy, database_url))
    yield app
    await app.state.engine.dispose()


async def _get(app: FastAPI, path: str) -> tuple[httpx.Response, float]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        started = time.monotonic()
        response = await client.get(path)
        return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "service_unavailable"
    assert int(response.headers["retry-after"]) >= 1
    assert "127.0.0.1" not in response.text
    assert "asyncpg" not in response.text


class TestDatabaseDown:
    async def test_refused_connection_is_503_then_recovers(
        self, proxy: TcpProxy, proxied_app: FastAPI
    ) -> None:
        healthy, _ = await _get(proxied_app, "/readyz")
        assert healthy.status_code == 200

        await proxy.cut()  # drops pooled connections too
        for _ in range(2):
            response, elapsed = await _get(proxied_app, "/readyz")
            assert_unavailable(response)
            assert elapsed < 5

        await proxy.start()
        recovered, _ = await _get(proxied_app, "/readyz")
        assert recovered.status_code == 200

    async def test_hanging_database_is_503_within_the_connect_timeout(
        self, proxy: TcpProxy, proxied_app: FastAPI
    ) -> None:
        await proxy.blackhole()
        response, elapsed = await _get(proxied_app, "/readyz")
        assert_unavailable(response)
        assert elapsed < 5

        await proxy.cut()
        await proxy.start()
        recovered, _ = await _get(proxied_app, "/readyz")
        assert recovered.status_code == 200

    async def test_readiness_answers_503_within_its_bound_when_the_database_hangs(
        self, proxy: TcpProxy, proxied_app: FastAPI
    ) -> None:
        healthy, _ = await _get(proxied_app, "/readyz")
        assert healthy.status_code == 200
        await proxy.pause()  # open connections stop answering too
        response, elapsed = await _get(proxied_app, "/readyz")
        assert_unavailable(response)
        assert elapsed < 2
        await proxy.start()
        recovered, _ = await _get(proxied_app, "/readyz")
        assert recovered.status_code == 200

    async def test_a_hung_database_is_503_within_seconds_on_both_paths(
        self, proxy: TcpProxy, database_url: str
    ) -> None:
        app = build_test_app(
            _settings_through(proxy, database_url, issuer="http://testserver", **_FIRST_CONNECTIONS)
        )
        try:
            tenant = await make_tenant(app)
            child = await seed_child(app, tenant)
            headers = bearer(await mint_token(app, tenant))
            paths = [f"/v1/children/{child.id}", "/v1/practitioners"]  # direct, session
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:
                for path in paths:  # each path's pool holds a connection through the proxy
                    assert (await client.get(path, headers=headers)).status_code == 200, path
                await proxy.pause()
                started = time.monotonic()
                responses = await asyncio.gather(
                    *(client.get(path, headers=headers) for path in paths)
                )
                elapsed = time.monotonic() - started
            for response in responses:
                assert_unavailable(response)
            assert elapsed < 3.5
        finally:
            await app.state.direct.close()
            await app.state.engine.dispose()

    async def test_exhausted_pool_is_503_and_frees_up(
        self, proxy: TcpProxy, database_url: str
    ) -> None:
        app = build_test_app(
            _settings_through(proxy, database_url, db_pool_size=1, db_max_overflow=0)
        )
        try:
            held = await app.state.engine.connect()
            try:
                response, elapsed = await _get(app, "/_probe/sleep?seconds=0")
                assert_unavailable(response)
                assert elapsed < 3
                # Readiness has a connection of its own: a busy pool is not a down database.
                ready, _ = await _get(app, "/readyz")
                assert ready.status_code == 200
            finally:
                await held.close()
            recovered, _ = await _get(app, "/_probe/sleep?seconds=0")
            assert recovered.status_code == 200
        finally:
            await app.state.engine.dispose()

    async def test_statement_timeout_is_503(self, proxy: TcpProxy, database_url: str) -> None:
        app = build_test_app(_settings_through(proxy, database_url, db_statement_timeout_ms=200))
        try:
            response, elapsed = await _get(app, "/_probe/sleep?seconds=5")
            assert_unavailable(response)
            assert elapsed < 3
        finally:
            await app.state.engine.dispose()

    async def test_long_work_asks_for_the_long_timeout(self, database_url: str) -> None:
        """A worker's engine for long work (exports) waits past a request's timeout."""
        settings = Settings(
            database_url=SecretStr(database_url),
            db_statement_timeout_ms=300,
            db_long_statement_timeout_ms=5_000,
        )
        requests_engine = create_engine(settings)
        long_engine = create_engine(settings, long_running=True)
        try:
            with pytest.raises(sa_exc.DBAPIError, match="statement timeout"):
                async with requests_engine.connect() as connection:
                    await connection.execute(text("SELECT pg_sleep(0.6)"))
            async with long_engine.connect() as connection:
                await connection.execute(text("SELECT pg_sleep(0.6)"))
        finally:
            await requests_engine.dispose()
            await long_engine.dispose()


_APP_BACKENDS = """
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND application_name LIKE 'dmi-api%'
"""


class TestConnectionsTheDatabaseDropped:
    """After the server ends idle pooled connections, the next requests do not fail."""

    @pytest.mark.parametrize("how", ["terminated", "proxy_reset"])
    async def test_the_next_requests_succeed_on_both_paths(
        self, proxy: TcpProxy, database: Database, how: str
    ) -> None:
        owner_url = make_url(database.owner_url).set(drivername="postgresql")
        owner = await asyncpg.connect(owner_url.render_as_string(hide_password=False))
        before = {row["pid"] for row in await owner.fetch(_APP_BACKENDS)}
        app = build_test_app(
            _settings_through(
                proxy, database.app_url, issuer="http://testserver", **_FIRST_CONNECTIONS
            )
        )
        try:
            tenant = await make_tenant(app)
            child = await seed_child(app, tenant)
            headers = bearer(await mint_token(app, tenant))
            paths = [f"/v1/children/{child.id}", "/v1/practitioners"]  # direct, session
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:

                async def everything() -> list[int]:
                    responses = await asyncio.gather(
                        *(client.get(path, headers=headers) for path in paths * 3),
                        client.get("/readyz"),
                    )
                    return [response.status_code for response in responses]

                assert set(await everything()) == {200}  # each pool holds a few connections
                if how == "terminated":
                    ours = [
                        row["pid"]
                        for row in await owner.fetch(_APP_BACKENDS)
                        if row["pid"] not in before
                    ]
                    assert len(ours) >= 2
                    # Waits (up to 5 s) until each backend has exited.
                    await owner.execute(
                        "SELECT pg_terminate_backend(pid, 5000) FROM unnest($1::int[]) AS pid",
                        ours,
                    )
                else:
                    await proxy.cut()  # every connection through the proxy is reset
                    await proxy.start()
                await asyncio.sleep(0.05)  # the server's goodbye reaches the idle sockets
                for path in paths:  # the first request of each path, then many at once
                    assert (await client.get(path, headers=headers)).status_code == 200, path
                assert set(await everything()) == {200}
        finally:
            await owner.close()
            await app.state.direct.close()
            await app.state.engine.dispose()


@pytest.mark.postgres_only
class TestDirectReadsWhenTheDatabaseIsDown:
    """The direct statements' own pool fails the same way: 503 and Retry-After, then recovers."""

    async def test_cut_then_back(self, proxy: TcpProxy, database_url: str) -> None:
        app = build_test_app(_settings_through(proxy, database_url, db_statement_timeout_ms=500))
        try:
            tenant = await make_tenant(app)
            child = await seed_child(app, tenant)
            headers = bearer(await mint_token(app, tenant))
            path = f"/v1/children/{child.id}"
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:
                assert (await client.get(path, headers=headers)).status_code == 200
                await proxy.cut()  # the pooled connection dies under the pool
                for _ in range(2):
                    started = time.monotonic()
                    response = await client.get(path, headers=headers)
                    assert_unavailable(response)
                    assert time.monotonic() - started < 5
                await proxy.start()
                assert (await client.get(path, headers=headers)).status_code == 200
                assert (await client.get("/v1/children", headers=headers)).status_code == 200
        finally:
            await app.state.direct.close()
            await app.state.engine.dispose()
