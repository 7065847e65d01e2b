"""Practitioners: the clinic's therapists."""

from __future__ import annotations

from typing import Any

from dmi_api.models import Practitioner
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import PRACTITIONERS
from dmi_api.schemas.practitioners import REQUIRED, PractitionerPublic
from dmi_api.services.resources import ListQuery, Versioned, list_page, snapshot_of
from dmi_api.tenant_scope import Tenant

RESOURCE = "practitioner"


def to_public(row: Practitioner) -> PractitionerPublic:
    """The API view of a row."""
    return PractitionerPublic.model_validate(row, from_attributes=True)


TAKEN = ("external_id", "Another practitioner has this external_id.")
VERSIONED = Versioned(RESOURCE, Practitioner, snapshot_of(to_public), REQUIRED, TAKEN)
get, create, update = VERSIONED.get, VERSIONED.create, VERSIONED.update
delete = VERSIONED.delete


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Practitioner], str | None]:
    """A page of rows (`filters`: `queries.lists.PRACTITIONERS`'s values)."""
    return await list_page(tenant, Practitioner, PRACTITIONERS, filters, query=query, codec=codec)
