"""Practitioners: the clinic's therapists."""

from __future__ import annotations

import uuid
from typing import Any

from dmi_api.errors import ConflictError
from dmi_api.models import Practitioner
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import PRACTITIONERS
from dmi_api.schemas.practitioners import (
    REQUIRED,
    PractitionerCreate,
    PractitionerPatch,
    PractitionerPublic,
)
from dmi_api.services.resources import (
    ListQuery,
    Versioned,
    list_page,
    snapshot_of,
    taken,
)
from dmi_api.tenant_scope import Tenant

RESOURCE = "practitioner"


def to_public(row: Practitioner) -> PractitionerPublic:
    """The API view of a row."""
    return PractitionerPublic.model_validate(row, from_attributes=True)


VERSIONED = Versioned(RESOURCE, Practitioner, snapshot_of(to_public), REQUIRED)
get = VERSIONED.get
delete = VERSIONED.delete


async def create(
    tenant: Tenant, *, payload: PractitionerCreate, client_id: uuid.UUID
) -> Practitioner:
    """Add a practitioner."""
    if await taken(tenant, Practitioner, "external_id", payload.external_id, None):
        raise ConflictError("Another practitioner has this external_id.")
    row = tenant.add(Practitioner(**payload.model_dump(), clinic_id=tenant.clinic_id))
    return await VERSIONED.written(tenant, row, client_id)


async def update(
    tenant: Tenant, *, row: Practitioner, patch: PractitionerPatch, client_id: uuid.UUID
) -> Practitioner:
    """Apply a PATCH (the caller checked If-Match)."""
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    if await taken(tenant, Practitioner, "external_id", changes.get("external_id"), row.id):
        raise ConflictError("Another practitioner has this external_id.")
    return await VERSIONED.patched(tenant, row, changes, client_id)


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Practitioner], str | None]:
    """A page of rows (`filters`: `queries.lists.PRACTITIONERS`'s values)."""
    return await list_page(tenant, Practitioner, PRACTITIONERS, filters, query=query, codec=codec)
