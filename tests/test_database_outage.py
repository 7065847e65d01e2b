"""A database that is down, hanging or saturated answers 503 with Retry-After, then recovers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from dmi_api.config import Settings
from tests.conftest import build_test_app
from tests.support.records import seed_child
from tests.support.tcp_proxy import TcpProxy
from tests.support.tenants import bearer, make_tenant, mint_token

pytestmark = pytest.mark.postgres_only


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.cut()


def _settings_through(proxy: TcpProxy, database_url: str, **overrides: object) -> Settings:
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return Settings(
        database_url=SecretStr(url.render_as_string(hide_password=False)),
        db_connect_timeout_seconds=1.0,
        db_pool_timeout_seconds=0.5,
        **overrides,  # type: ignore[arg-type]
    )


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

    async def test_exhausted_pool_is_503_and_frees_up(
        self, proxy: TcpProxy, database_url: str
    ) -> None:
        app = build_test_app(
            _settings_through(proxy, database_url, db_pool_size=1, db_max_overflow=0)
        )
        try:
            held = await app.state.engine.connect()
            response, elapsed = await _get(app, "/readyz")
            assert_unavailable(response)
            assert elapsed < 3
            await held.close()
            recovered, _ = await _get(app, "/readyz")
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
