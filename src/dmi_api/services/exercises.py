"""Exercises: the clinic's own library (DMI exercise lists are not public)."""

from __future__ import annotations

import uuid
from typing import Any

from dmi_api.errors import ConflictError
from dmi_api.models import Exercise
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import EXERCISES
from dmi_api.schemas.exercises import REQUIRED, ExerciseCreate, ExercisePatch, ExercisePublic
from dmi_api.services.resources import (
    ListQuery,
    Versioned,
    list_page,
    snapshot_of,
    taken,
)
from dmi_api.tenant_scope import Tenant

RESOURCE = "exercise"
# Deleted exercises keep their code (the unique constraint covers them): old session records and
# prescriptions still name it, so reusing it would make history ambiguous.
_CODE_TAKEN = "Another exercise of the library has (or had) this code."


def to_public(row: Exercise) -> ExercisePublic:
    """The API view of a row."""
    return ExercisePublic.model_validate(row, from_attributes=True)


VERSIONED = Versioned(RESOURCE, Exercise, snapshot_of(to_public), REQUIRED)
get = VERSIONED.get
delete = VERSIONED.delete  # prescription items that name a deleted exercise stay readable


async def create(tenant: Tenant, *, payload: ExerciseCreate, client_id: uuid.UUID) -> Exercise:
    """Add an exercise to the library; a code already used is 409."""
    if await taken(tenant, Exercise, "code", payload.code, None):
        raise ConflictError(_CODE_TAKEN)
    row = tenant.add(Exercise(**payload.model_dump(), clinic_id=tenant.clinic_id))
    return await VERSIONED.written(tenant, row, client_id)


async def update(
    tenant: Tenant, *, row: Exercise, patch: ExercisePatch, client_id: uuid.UUID
) -> Exercise:
    """Apply a PATCH (the caller checked If-Match)."""
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    if await taken(tenant, Exercise, "code", changes.get("code"), row.id):
        raise ConflictError(_CODE_TAKEN)
    return await VERSIONED.patched(tenant, row, changes, client_id)


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Exercise], str | None]:
    """A page of rows (`filters`: `queries.lists.EXERCISES`'s values)."""
    return await list_page(tenant, Exercise, EXERCISES, filters, query=query, codec=codec)
