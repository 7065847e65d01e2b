"""API clients of a clinic: registration, changes, secret rotation."""

from __future__ import annotations

import asyncio
import uuid
from functools import partial
from typing import Any

from dmi_api.change_events import changed_fields
from dmi_api.errors import ConflictError, FieldProblem, NotFoundError, ValidationProblemError
from dmi_api.models import ApiClient
from dmi_api.models.columns import utcnow
from dmi_api.schemas.clients import ClientCreate, ClientPublic, ClientUpdate
from dmi_api.security.client_assertions import validate_client_jwks
from dmi_api.security.secrets import generate_client_secret, hash_client_secret
from dmi_api.services.history import record_change_event
from dmi_api.services.resources import null_problems, oldest_first
from dmi_api.tenant_scope import Tenant

RESOURCE = "client"


def usable_jwks(jwks: dict[str, Any] | None) -> dict[str, Any] | None:
    """A JWKS whose keys parse (its shape was checked with the body), else the body's 422."""
    if jwks is None:
        return None
    try:
        return validate_client_jwks(jwks)
    except ValueError as error:
        # The same entry the body's validation gives for a JWKS of the wrong shape.
        raise ValidationProblemError([FieldProblem("#/jwks", str(error), "jwks_invalid")]) from None


def to_public(client: ApiClient) -> ClientPublic:
    """The public view of a client row."""
    return ClientPublic(
        client_id=client.id,
        clinic_id=client.clinic_id,
        name=client.name,
        scopes=client.scopes.split(),
        auth_method=client.auth_method,
        active=client.active,
        jwks=client.jwks,
        rate_limit_per_minute=client.rate_limit_per_minute,
        created_at=client.created_at,
        updated_at=client.updated_at,
        disabled_at=client.disabled_at,
    )


async def create_client(tenant: Tenant, *, payload: ClientCreate) -> tuple[ApiClient, str | None]:
    """Register a client; returns it with its secret (the only time the secret exists in clear)."""
    jwks = usable_jwks(payload.jwks)
    secret = generate_client_secret() if payload.auth_method == "client_secret" else None
    # The slow hash off the event loop, as every check of a secret (`services.tokens`).
    secret_hash = await asyncio.to_thread(hash_client_secret, secret) if secret else None
    client = ApiClient(
        id=uuid.uuid4(),
        clinic_id=tenant.clinic_id,
        name=payload.name,
        scopes=" ".join(payload.scopes),
        auth_method=payload.auth_method,
        secret_hash=secret_hash,
        jwks=jwks,
        rate_limit_per_minute=payload.rate_limit_per_minute,
    )
    tenant.add(client)
    await tenant.db.flush()
    record_change_event(tenant, RESOURCE, client.id, "created", [])
    return client, secret


async def get_client(tenant: Tenant, *, client_id: uuid.UUID) -> ApiClient:
    """One client of the clinic, or 404 (also for another clinic's client)."""
    client = await tenant.get(ApiClient, client_id)
    if client is None:
        raise NotFoundError("No such client.")
    return client


# A page of the clinic's clients, oldest first, after a keyset position.
list_clients = partial(oldest_first, ApiClient)


async def update_client(
    tenant: Tenant, *, client_id: uuid.UUID, changes: ClientUpdate
) -> tuple[ApiClient, bool]:
    """Apply changes; disabling a client revokes its live tokens at once. Whether anything
    changed: a change of nothing (`{}`, the values it has) keeps `updated_at` and emits no
    event, as a clinical resource's (`history.record_change`)."""
    if nulls := null_problems(changes, ClientUpdate.NOT_NULL):
        raise ValidationProblemError(nulls)
    jwks = usable_jwks(changes.jwks)
    client = await get_client(tenant, client_id=client_id)
    if changes.jwks is not None and client.auth_method != "private_key_jwt":
        raise ConflictError("Only private_key_jwt clients have a JWKS.")
    before = to_public(client).model_dump(mode="json")
    if changes.name is not None:
        client.name = changes.name
    if changes.scopes is not None:
        client.scopes = " ".join(changes.scopes)
    if jwks is not None:
        client.jwks = jwks
    if "rate_limit_per_minute" in changes.model_fields_set:
        client.rate_limit_per_minute = changes.rate_limit_per_minute
    if changes.active is not None and changes.active != client.active:
        client.active = changes.active
        client.disabled_at = None if changes.active else utcnow()
    changed = changed_fields(before, to_public(client).model_dump(mode="json"))
    if not changed:
        return client, False
    client.updated_at = utcnow()
    await tenant.db.flush()
    record_change_event(tenant, RESOURCE, client.id, "updated", changed)
    return client, True


async def rotate_secret(tenant: Tenant, *, client_id: uuid.UUID) -> str:
    """Replace a client's secret; the old one stops working immediately."""
    client = await get_client(tenant, client_id=client_id)
    if client.auth_method != "client_secret":
        raise ConflictError("This client authenticates with private_key_jwt, not a secret.")
    secret = generate_client_secret()
    client.secret_hash = await asyncio.to_thread(hash_client_secret, secret)
    client.updated_at = utcnow()
    await tenant.db.flush()
    record_change_event(tenant, RESOURCE, client.id, "updated", ["secret"])
    return secret
