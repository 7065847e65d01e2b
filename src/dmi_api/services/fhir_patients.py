"""The children a FHIR Patient read or search returns (their FHIR form: `fhir.patients`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import col

from dmi_api.errors import GoneError, NotFoundError
from dmi_api.fhir.search import Bound
from dmi_api.models import Child
from dmi_api.pagination import CursorCodec
from dmi_api.queries.pages import ListQuery, Page
from dmi_api.queries.predicates import live
from dmi_api.tenant_scope import Tenant

RESOURCE = "child"


async def read(tenant: Tenant, child_id: uuid.UUID) -> Child:
    """The clinic's child; a tombstone is 410, another clinic's child (or none) 404."""
    row = await tenant.get(Child, child_id)
    if row is None:
        raise NotFoundError("No Patient with this id.")
    if row.deleted_at is not None:
        raise GoneError("This Patient was deleted.")
    return row


async def search(
    tenant: Tenant,
    *,
    ids: Sequence[uuid.UUID] | None,
    mrn: str | None,
    bounds: Sequence[Bound],
    query: ListQuery,
    codec: CursorCodec,
) -> tuple[list[Child], str | None]:
    """One page of the clinic's live children matching every parameter given (keyset paged
    by `updated_at`, the cursor bound to the parameters)."""
    context = (
        f"fhir:Patient|{sorted(map(str, ids or []))}|{mrn}|{[(b.lower, b.at) for b in bounds]}"
    )
    page = Page(query, codec, context)
    statement = tenant.select(Child).where(live(Child), *page.conditions(Child))
    if ids is not None:
        statement = statement.where(col(Child.id).in_(ids))
    if mrn is not None:
        statement = statement.where(col(Child.external_id) == mrn)
    for bound in bounds:
        statement = statement.where(
            col(Child.updated_at) >= bound.at if bound.lower else col(Child.updated_at) < bound.at
        )
    statement = statement.order_by(*page.order_by(Child)).limit(page.limit())
    result = await tenant.db.execute(statement, page.values())
    return page.cut(list(result.scalars().all()))
