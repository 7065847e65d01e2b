"""Exercises: the clinic's own library (DMI exercise lists are not public)."""

from __future__ import annotations

from typing import Any

from dmi_api.models import Exercise
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import EXERCISES
from dmi_api.schemas.exercises import REQUIRED, ExercisePublic
from dmi_api.services.resources import ListQuery, Versioned, list_page, snapshot_of
from dmi_api.tenant_scope import Tenant

RESOURCE = "exercise"
# Deleted exercises keep their code (the unique constraint covers them): old session records and
# prescriptions still name it, so reusing it would make history ambiguous.
_CODE_TAKEN = "Another exercise of the library has (or had) this code."


def to_public(row: Exercise) -> ExercisePublic:
    """The API view of a row."""
    return ExercisePublic.model_validate(row, from_attributes=True)


VERSIONED = Versioned(RESOURCE, Exercise, snapshot_of(to_public), REQUIRED, ("code", _CODE_TAKEN))
get, create, update = VERSIONED.get, VERSIONED.create, VERSIONED.update
delete = VERSIONED.delete  # prescription items that name a deleted exercise stay readable


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Exercise], str | None]:
    """A page of rows (`filters`: `queries.lists.EXERCISES`'s values)."""
    return await list_page(tenant, Exercise, EXERCISES, filters, query=query, codec=codec)
