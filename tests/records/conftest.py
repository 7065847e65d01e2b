"""Fixtures for the clinical-records tests: two clinics, scoped headers, a committing app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.config import Settings
from tests.conftest import build_test_app
from tests.support.tenants import TenantClient, bearer, make_tenant, mint_token

Headers = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
async def tenant_a(app: FastAPI) -> TenantClient:
    return await make_tenant(app)


@pytest.fixture
async def tenant_b(app: FastAPI) -> TenantClient:
    return await make_tenant(app)


@pytest.fixture
def headers_for(app: FastAPI) -> Headers:
    """`await headers_for(tenant, "children:read", ...)`: an Authorization header."""

    async def make(tenant: TenantClient, *scopes: str) -> dict[str, str]:
        return bearer(await mint_token(app, tenant, scopes=list(scopes) or None))

    return make


@pytest.fixture
async def live_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app on its own pool, committing for real: for tests of concurrent requests."""
    app = build_test_app(settings)
    yield app
    await app.state.engine.dispose()


@pytest.fixture
async def live_client(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=live_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
