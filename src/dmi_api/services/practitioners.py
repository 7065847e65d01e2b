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
from dmi_api.services.history import record_version
from dmi_api.services.resources import (
    ListQuery,
    apply_patch,
    get_live,
    list_page,
    soft_delete,
    touch,
)
from dmi_api.tenant_scope import Tenant

RESOURCE = "practitioner"


def to_public(row: Practitioner) -> PractitionerPublic:
    """The API view of a row."""
    return PractitionerPublic.model_validate(row, from_attributes=True)


async def _external_id_taken(
    tenant: Tenant, external_id: str | None, own: uuid.UUID | None
) -> bool:
    if external_id is None:
        return False
    statement = tenant.select(Practitioner).where(col(Practitioner.external_id) == external_id)
    row = (await tenant.db.execute(statement)).scalar_one_or_none()
    return row is not None and row.id != own


def _keep(tenant: Tenant, row: Practitioner, client_id: uuid.UUID) -> None:
    record_version(
        tenant,
        resource_type=RESOURCE,
        resource_id=row.id,
        version=row.version,
        snapshot=to_public(row).model_dump(mode="json"),
        client_id=client_id,
    )


async def create(
    tenant: Tenant, *, payload: PractitionerCreate, client_id: uuid.UUID
) -> Practitioner:
    """Add a practitioner."""
    if await _external_id_taken(tenant, payload.external_id, None):
        raise ConflictError("Another practitioner has this external_id.")
    row = tenant.add(Practitioner(**payload.model_dump(), clinic_id=tenant.clinic_id))
    await tenant.db.flush()
    _keep(tenant, row, client_id)
    return row


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
    await tenant.db.flush()
    _keep(tenant, row, client_id)
    return row


async def delete(tenant: Tenant, *, row: Practitioner, client_id: uuid.UUID) -> None:
    """Tombstone a practitioner."""
    soft_delete(row)
    await tenant.db.flush()
    _keep(tenant, row, client_id)


async def get(
    tenant: Tenant, practitioner_id: uuid.UUID, *, for_update: bool = False
) -> Practitioner:
    """A live practitioner of the clinic, else 404."""
    return await get_live(tenant, Practitioner, practitioner_id, for_update=for_update)


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Practitioner], str | None]:
    """A page of rows (`filters`: `queries.lists.PRACTITIONERS`'s values)."""
    return await list_page(tenant, Practitioner, PRACTITIONERS, filters, query=query, codec=codec)
