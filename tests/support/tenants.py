"""Two-clinic fixtures: clinics, clients and tokens made through the real services and keys."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from dmi_api.auth.scopes import ALL_SCOPES
from dmi_api.models import SigningKey
from dmi_api.schemas.clients import ClientCreate, ClientUpdate
from dmi_api.security.access_tokens import AccessTokenClaims, sign_access_token
from dmi_api.security.key_crypto import decrypt_private_key
from dmi_api.services import clients as client_service
from dmi_api.services.clinics import create_clinic
from dmi_api.tenant_scope import Tenant, bind_settings


@dataclass(frozen=True)
class TenantClient:
    """A clinic with one API client and its secret."""

    clinic_id: uuid.UUID
    client_id: uuid.UUID
    client_secret: str | None
    scopes: tuple[str, ...]


async def make_tenant(
    app: FastAPI,
    *,
    scopes: list[str] | None = None,
    auth_method: str = "client_secret",
    jwks: dict[str, Any] | None = None,
) -> TenantClient:
    """A new clinic and client, committed through the app's sessions."""
    granted = scopes or sorted(ALL_SCOPES)
    async with app.state.sessionmaker() as db:
        clinic = await create_clinic(db, name=f"Clinic {secrets.token_hex(3)}")
        payload = ClientCreate(
            name="integration",
            scopes=granted,
            auth_method=auth_method,
            jwks=jwks,
        )
        client, secret = await client_service.create_client(Tenant(db, clinic.id), payload=payload)
        await db.commit()
    return TenantClient(clinic.id, client.id, secret, tuple(granted))


async def add_client(
    app: FastAPI, tenant: TenantClient, *, scopes: list[str] | None = None
) -> TenantClient:
    """Another client of the tenant's clinic, committed through the app's sessions."""
    granted = scopes or sorted(ALL_SCOPES)
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=tenant.clinic_id)
        payload = ClientCreate(name="another", scopes=granted)
        client, secret = await client_service.create_client(
            Tenant(db, tenant.clinic_id), payload=payload
        )
        await db.commit()
    return TenantClient(tenant.clinic_id, client.id, secret, tuple(granted))


def token_claims(app: FastAPI, tenant: TenantClient, **overrides: Any) -> dict[str, Any]:
    """Valid access-token claims for a tenant's client; override any of them."""
    settings = app.state.settings
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.token_audience,
        "sub": str(tenant.client_id),
        "client_id": str(tenant.client_id),
        "clinic_id": str(tenant.clinic_id),
        "scope": " ".join(tenant.scopes),
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(12),
    }
    claims.update(overrides)
    return claims


async def mint_token(
    app: FastAPI, tenant: TenantClient, *, scopes: list[str] | None = None, lifetime: int = 300
) -> str:
    """A genuine access token signed by the app's active key, valid for `lifetime` seconds."""
    claims = token_claims(app, tenant)
    claims["exp"] = claims["iat"] + lifetime
    keys = await app.state.keyring.current()
    return sign_access_token(
        AccessTokenClaims(
            issuer=claims["iss"],
            audience=claims["aud"],
            client_id=claims["client_id"],
            clinic_id=claims["clinic_id"],
            scope=" ".join(scopes) if scopes is not None else claims["scope"],
            issued_at=claims["iat"],
            expires_at=claims["exp"],
            jti=claims["jti"],
        ),
        keys,
    )


async def active_signing_key(app: FastAPI) -> tuple[str, bytes]:
    """(kid, private PEM) of the key the app signs with (for forging near-valid tokens)."""
    keys = await app.state.keyring.current()
    async with app.state.sessionmaker() as db:
        row = (
            await db.execute(select(SigningKey).where(col(SigningKey.kid) == keys.active_kid))
        ).scalar_one()
    secret = app.state.settings.secret_key.get_secret_value()
    return row.kid, decrypt_private_key(row.private_key_encrypted, secret)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


async def disable_client(app: FastAPI, tenant: TenantClient) -> None:
    """Turn the tenant's API client off, committed (its tokens stay unexpired)."""
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=tenant.clinic_id)
        await client_service.update_client(
            Tenant(db, tenant.clinic_id),
            client_id=tenant.client_id,
            changes=ClientUpdate(active=False),
        )
        await db.commit()
