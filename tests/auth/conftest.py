"""Two clinics, each with an all-scopes client, for the auth and tenancy tests."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.support.tenants import TenantClient, make_tenant


@pytest.fixture
async def tenant_a(app: FastAPI) -> TenantClient:
    return await make_tenant(app)


@pytest.fixture
async def tenant_b(app: FastAPI) -> TenantClient:
    return await make_tenant(app)
