"""Every denial of a token we signed is attributed to the clinic and client it names, on every
route: a disabled client's, an expired token's, a token of a key that no longer verifies."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from dmi_api.models import SigningKey
from dmi_api.models.columns import utcnow
from tests.support.forge import forge, new_rsa_pem
from tests.support.tenants import (
    TenantClient,
    active_signing_key,
    add_client,
    bearer,
    disable_client,
    mint_token,
    token_claims,
)

# A session-served list, the one-statement read of a child (on PostgreSQL), a FHIR search.
ROUTES = [
    "/v1/practitioners",
    f"/v1/children/{uuid.UUID(int=7)}",
    "/fhir/R4/Patient",
]


async def _expired(app: FastAPI, tenant: TenantClient) -> str:
    kid, pem = await active_signing_key(app)
    now = int(time.time())
    claims = token_claims(app, tenant, iat=now - 900, exp=now - 300)
    return forge({"alg": "RS256", "typ": "at+jwt", "kid": kid}, claims, rsa_private_pem=pem)


async def _disabled(app: FastAPI, tenant: TenantClient) -> str:
    token = await mint_token(app, tenant)
    await disable_client(app, tenant)
    return token


async def _retired_key(app: FastAPI, tenant: TenantClient) -> str:
    """A token of a key retired longer ago than any token it signed can live."""
    token = await mint_token(app, tenant)
    kid = (await app.state.keyring.current()).active_kid
    async with app.state.sessionmaker() as db:
        ages_ago = utcnow() - timedelta(days=30)
        await db.execute(
            update(SigningKey).where(col(SigningKey.kid) == kid).values(retired_at=ages_ago)
        )
        await db.commit()
    keys = await app.state.keyring.refresh()
    assert kid not in keys.kids
    assert kid in keys.retired_kids
    return token


TOKENS: dict[str, Callable[[FastAPI, TenantClient], Awaitable[str]]] = {
    "disabled_client": _disabled,
    "expired": _expired,
    "retired_key": _retired_key,
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", list(TOKENS))
async def test_the_denial_names_the_tokens_clinic_and_client(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, kind: str, route: str
) -> None:
    auditor = await add_client(app, tenant_a, scopes=["audit:read"])
    token = await TOKENS[kind](app, tenant_a)
    request_id = f"attributed-{uuid.uuid4().hex}"
    refused = await client.get(route, headers={**bearer(token), "X-Request-ID": request_id})
    assert refused.status_code == 401
    trail = await client.get(
        "/v1/audit-events",
        params={"action": "denied", "client_id": str(tenant_a.client_id)},
        headers=bearer(await mint_token(app, auditor)),
    )
    assert trail.status_code == 200, trail.text
    events = [e for e in trail.json()["data"] if e["request_id"] == request_id]
    assert len(events) == 1, trail.json()
    assert events[0]["outcome"] == 401
    assert events[0]["clinic_id"] == str(tenant_a.clinic_id)
    assert events[0]["client_id"] == str(tenant_a.client_id)
    assert events[0]["token_jti"]


async def test_a_forgery_names_no_one(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
) -> None:
    # Signed by a key that was never ours: its claims are not believed, even for the trail.
    auditor = await add_client(app, tenant_a, scopes=["audit:read"])
    kid, _ = await active_signing_key(app)
    forged = forge(
        {"alg": "RS256", "typ": "at+jwt", "kid": kid},
        token_claims(app, tenant_a),
        rsa_private_pem=new_rsa_pem(),
    )
    assert (await client.get(ROUTES[0], headers=bearer(forged))).status_code == 401
    trail = await client.get(
        "/v1/audit-events",
        params={"action": "denied"},
        headers=bearer(await mint_token(app, auditor)),
    )
    assert trail.json()["data"] == []
