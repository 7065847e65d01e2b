"""The rows a FHIR read or search returns, for any clinic-owned clinical table (their FHIR
form: `dmi_api.fhir`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from dmi_api.errors import GoneError, NotFoundError
from dmi_api.fhir.search import Bound
from dmi_api.pagination import CursorCodec
from dmi_api.queries.pages import ListQuery, Page
from dmi_api.queries.predicates import columns, live
from dmi_api.tenant_scope import IdRowT, Tenant


async def read(tenant: Tenant, model: type[IdRowT], row_id: uuid.UUID, label: str) -> IdRowT:
    """The clinic's row; a tombstone is 410, another clinic's row (or none) 404."""
    row = await tenant.get(model, row_id)
    if row is None:
        raise NotFoundError(f"No {label} with this id.")
    if getattr(row, "deleted_at", None) is not None:
        raise GoneError(f"This {label} was deleted.")
    return row


async def search(
    tenant: Tenant,
    model: type[Any],
    *,
    ids: Sequence[uuid.UUID] | None,
    equal: Mapping[str, Any],
    ranges: Mapping[str, Sequence[Bound]],
    query: ListQuery,
    codec: CursorCodec,
) -> tuple[list[Any], str | None]:
    """One page of the clinic's live rows matching every parameter given: `ids`, a value per
    column (`equal`), half-open bounds per column (`ranges`); keyset paged by `updated_at`,
    the cursor bound to the table and the parameters."""
    c = columns(model)
    limits = {
        name: [(b.lower, b.at.isoformat()) for b in bounds] for name, bounds in ranges.items()
    }
    given = f"{sorted(map(str, ids or []))}|{sorted(equal.items())}|{sorted(limits.items())}"
    page = Page(query, codec, f"fhir:{c.id.table.name}|{given}")
    statement = tenant.select(model).where(live(model), *page.conditions(model))
    if ids is not None:
        statement = statement.where(c.id.in_(ids))
    for name, value in equal.items():
        statement = statement.where(c[name] == value)
    for name, bounds in ranges.items():
        for bound in bounds:
            statement = statement.where(c[name] >= bound.at if bound.lower else c[name] < bound.at)
    statement = statement.order_by(*page.order_by(model)).limit(page.limit())
    result = await tenant.db.execute(statement, page.values())
    return page.cut(list(result.scalars().all()))
