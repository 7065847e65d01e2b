"""Exercises: the clinic's own library (DMI exercise lists are not public)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col

from dmi_api.errors import ConflictError
from dmi_api.models import Exercise
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import EXERCISES
from dmi_api.schemas.exercises import REQUIRED, ExerciseCreate, ExercisePatch, ExercisePublic
from dmi_api.services.resources import (
    ListQuery,
    Versioned,
    apply_patch,
    list_page,
    snapshot_of,
    touch,
)
from dmi_api.tenant_scope import Tenant

RESOURCE = "exercise"
_CODE_TAKEN = "Another exercise of the library has (or had) this code."


def to_public(row: Exercise) -> ExercisePublic:
    """The API view of a row."""
    return ExercisePublic.model_validate(row, from_attributes=True)


VERSIONED = Versioned(RESOURCE, Exercise, snapshot_of(to_public))
get = VERSIONED.get
delete = VERSIONED.delete  # prescription items that name a deleted exercise stay readable


async def _code_taken(tenant: Tenant, code: str, own: uuid.UUID | None) -> bool:
    # Deleted exercises keep their code (the unique constraint covers them): old session records
    # and prescriptions still name it, so reusing it would make history ambiguous.
    statement = tenant.select(Exercise).where(col(Exercise.code) == code)
    row = (await tenant.db.execute(statement)).scalar_one_or_none()
    return row is not None and row.id != own


async def create(tenant: Tenant, *, payload: ExerciseCreate, client_id: uuid.UUID) -> Exercise:
    """Add an exercise to the library; a code already used is 409."""
    if await _code_taken(tenant, payload.code, None):
        raise ConflictError(_CODE_TAKEN)
    row = tenant.add(Exercise(**payload.model_dump(), clinic_id=tenant.clinic_id))
    return await VERSIONED.written(tenant, row, client_id)


async def update(
    tenant: Tenant, *, row: Exercise, patch: ExercisePatch, client_id: uuid.UUID
) -> Exercise:
    """Apply a PATCH (the caller checked If-Match)."""
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    code = changes.get("code")
    if code is not None and await _code_taken(tenant, code, row.id):
        raise ConflictError(_CODE_TAKEN)
    apply_patch(row, changes, required=REQUIRED)
    touch(row)
    return await VERSIONED.written(tenant, row, client_id)


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Exercise], str | None]:
    """A page of rows (`filters`: `queries.lists.EXERCISES`'s values)."""
    return await list_page(tenant, Exercise, EXERCISES, filters, query=query, codec=codec)
