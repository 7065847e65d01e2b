"""`/v1/clients`: a clinic's administrators manage its own API clients."""

from __future__ import annotations

import uuid
from functools import partial

from fastapi import Response

from dmi_api.auth.dependencies import ClientsAdmin
from dmi_api.routers import make_router
from dmi_api.routers.resource_support import Pager
from dmi_api.schemas.clients import (
    ClientCreate,
    ClientCreated,
    ClientPublic,
    ClientSecret,
    ClientUpdate,
)
from dmi_api.schemas.common import Page
from dmi_api.services import clients as service

router = make_router(tag="clients", prefix="/v1/clients")
RESOURCE = "api_client"


@router.get("", response_model=Page[ClientPublic])
async def list_clients(caller: ClientsAdmin, pager: Pager) -> Page[ClientPublic]:
    """List the clinic's API clients, oldest first."""
    read = partial(service.list_clients, caller.tenant)
    return await pager.page(caller, RESOURCE, read, service.to_public)


@router.post("", status_code=201, response_model=ClientCreated)
async def create_client(
    caller: ClientsAdmin, payload: ClientCreate, response: Response
) -> ClientCreated:
    """Register a client; a `client_secret` client's secret is in this response only."""
    client, secret = await service.create_client(caller.tenant, payload=payload)
    caller.audit("create", RESOURCE, outcome=201, resource_id=client.id)
    response.headers["Location"] = f"/v1/clients/{client.id}"
    return ClientCreated(**service.to_public(client).model_dump(), client_secret=secret)


@router.get("/{client_id}", response_model=ClientPublic)
async def get_client(caller: ClientsAdmin, client_id: uuid.UUID) -> ClientPublic:
    """One client of the clinic."""
    client = await service.get_client(caller.tenant, client_id=client_id)
    caller.audit("read", RESOURCE, outcome=200, resource_id=client.id)
    return service.to_public(client)


@router.patch("/{client_id}", response_model=ClientPublic)
async def update_client(
    caller: ClientsAdmin, client_id: uuid.UUID, payload: ClientUpdate
) -> ClientPublic:
    """Rename a client, change its scopes or JWKS, or disable it (its tokens stop working)."""
    client, changed = await service.update_client(
        caller.tenant, client_id=client_id, changes=payload
    )
    # A change of nothing showed the client, and changed nothing: a read.
    caller.audit("update" if changed else "read", RESOURCE, outcome=200, resource_id=client.id)
    return service.to_public(client)


@router.post("/{client_id}/rotate-secret", response_model=ClientSecret)
async def rotate_client_secret(caller: ClientsAdmin, client_id: uuid.UUID) -> ClientSecret:
    """Replace the client's secret; the old one stops working at once."""
    secret = await service.rotate_secret(caller.tenant, client_id=client_id)
    caller.audit("update", RESOURCE, outcome=200, resource_id=client_id)
    return ClientSecret(client_id=client_id, client_secret=secret)
