"""Practitioners: the clinic's therapists."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col

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
    apply_patch,
    list_page,
    snapshot_of,
    touch,
)
from dmi_api.tenant_scope import Tenant

RESOURCE = "practitioner"


def to_public(row: Practitioner) -> PractitionerPublic:
    """The API view of a row."""
    return PractitionerPublic.model_validate(row, from_attributes=True)


VERSIONED = Versioned(RESOURCE, Practitioner, snapshot_of(to_public))
get = VERSIONED.get
delete = VERSIONED.delete


async def _external_id_taken(
    tenant: Tenant, external_id: str | None, own: uuid.UUID | None
) -> bool:
    if external_id is None:
        return False
    statement = tenant.select(Practitioner).where(col(Practitioner.external_id) == external_id)
    row = (await tenant.db.execute(statement)).scalar_one_or_none()
    return row is not None and row.id != own


async def create(
    tenant: Tenant, *, payload: PractitionerCreate, client_id: uuid.UUID
) -> Practitioner:
    """Add a practitioner."""
    if await _external_id_taken(tenant, payload.external_id, None):
        raise ConflictError("Another practitioner has this external_id.")
    row = tenant.add(Practitioner(**payload.model_dump(), clinic_id=tenant.clinic_id))
    return await VERSIONED.written(tenant, row, client_id)


async def update(
    tenant: Tenant, *, row: Practitioner, patch: PractitionerPatch, client_id: uuid.UUID
) -> Practitioner:
    """Apply a PATCH (the caller checked If-Match)."""
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    if "external_id" in changes and await _external_id_taken(
        tenant, changes["external_id"], row.id
    ):
        raise ConflictError("Another practitioner has this external_id.")
    apply_patch(row, changes, required=REQUIRED)
    touch(row)
    return await VERSIONED.written(tenant, row, client_id)


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Practitioner], str | None]:
    """A page of rows (`filters`: `queries.lists.PRACTITIONERS`'s values)."""
    return await list_page(tenant, Practitioner, PRACTITIONERS, filters, query=query, codec=codec)
