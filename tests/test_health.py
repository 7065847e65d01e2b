"""Liveness and readiness."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from dmi_api.config import Settings
from tests.conftest import build_test_app


async def test_healthz_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_healthz_does_not_need_the_database(settings: Settings) -> None:
    unreachable = SecretStr("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    app = build_test_app(settings.model_copy(update={"database_url": unreachable}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
    await app.state.engine.dispose()
