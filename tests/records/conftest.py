"""Fixtures for the clinical-records tests: two clinics, scoped headers, a committing app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.config import Settings
from dmi_api.db import create_sessionmaker
from tests.conftest import BACKEND, reset_app_state, shared_app
from tests.support.clinics import Clinic
from tests.support.direct import serve_with
from tests.support.sessions import make_clinic
from tests.support.tenants import TenantClient, bearer, make_tenant, mint_token

Headers = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
async def tenant_a(app: FastAPI) -> TenantClient:
    return await make_tenant(app)


@pytest.fixture
async def tenant_b(app: FastAPI) -> TenantClient:
    return await make_tenant(app)


def headers_maker(app: FastAPI) -> Headers:
    """`await make(tenant, "children:read", ...)`: an Authorization header signed by `app`."""

    async def make(tenant: TenantClient, *scopes: str) -> dict[str, str]:
        return bearer(await mint_token(app, tenant, scopes=list(scopes) or None))

    return make


@pytest.fixture
def headers_for(app: FastAPI) -> Headers:
    """`await headers_for(tenant, "children:read", ...)`: an Authorization header."""
    return headers_maker(app)


@pytest.fixture
def live_app(settings: Settings, shared_apps: dict[str, FastAPI]) -> FastAPI:
    """The app on its own pool, committing for real: for tests of concurrent requests."""
    app = shared_app(shared_apps, "live", settings)
    return reset_app_state(app, create_sessionmaker(app.state.engine))


@pytest.fixture
async def live_client(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=live_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def clinic(app: FastAPI, tenant_a: TenantClient, headers_for: Headers) -> Clinic:
    """Clinic A's seeded rows for session records (a module's own `clinic` takes precedence)."""
    return await make_clinic(app, tenant_a, headers_for)


@pytest.fixture
async def other(app: FastAPI, tenant_b: TenantClient, headers_for: Headers) -> Clinic:
    """Clinic B's, the same."""
    return await make_clinic(app, tenant_b, headers_for)


PATHS = ["session"] if BACKEND == "sqlite" else ["one_statement", "session"]


@pytest.fixture(params=PATHS)
def serving_path(request: pytest.FixtureRequest, app: FastAPI) -> Iterator[str]:
    """Each way the app can serve the hot operations: one statement (PostgreSQL), and the
    session path (SQLite's, and PostgreSQL's with direct statements off)."""
    direct = app.state.direct
    if request.param == "session":
        serve_with(app, None)
    try:
        yield request.param
    finally:
        serve_with(app, direct)
