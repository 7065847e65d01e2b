"""Generic operations on clinical resources: live lookups, version bumps, sync-friendly lists."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from dmi_api.errors import NotFoundError, ValidationProblemError
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.models.columns import utcnow
from dmi_api.pagination import CursorCodec
from dmi_api.queries.list_specs import ListSpec
from dmi_api.queries.pages import ListQuery, Page, SortKey
from dmi_api.queries.predicates import columns, live
from dmi_api.tenant_scope import Tenant

RowT = TypeVar("RowT", bound=ClinicalRow)
__all__ = ["ListQuery", "SortKey"]  # the list parameters, for the services' callers


def _label(model: type[ClinicalRow]) -> str:
    return str(model.__tablename__).replace("_", " ")


async def get_live(
    tenant: Tenant, model: type[RowT], row_id: uuid.UUID, *, for_update: bool = False
) -> RowT:
    """A row of this clinic that is not deleted, else 404 (the same for another clinic's row)."""
    statement = tenant.select(model).where(columns(model).id == row_id, live(model))
    if for_update:
        # Serialises concurrent writers: the second sees the first's version and gets 412.
        statement = statement.with_for_update()
    row = (await tenant.db.execute(statement)).scalar_one_or_none()
    if row is None:
        raise not_found(model)
    return row


def not_found(model: type[Any]) -> NotFoundError:
    """The 404 of a model's row (the same words for a missing row and another clinic's)."""
    return NotFoundError(f"No such {_label(model)}.")


async def find_reference(
    tenant: Tenant, model: type[RowT], row_id: uuid.UUID | None, *, pointer: str
) -> RowT | None:
    """A referenced row of this clinic, else a 422 that does not say whether it exists elsewhere."""
    if row_id is None:
        return None
    row = await tenant.get(model, row_id)
    if row is None or row.deleted_at is not None:
        raise ValidationProblemError([reference_problem(model, pointer)])
    return row


def reference_problem(model: type[Any], pointer: str) -> dict[str, str]:
    """The 422 entry of a reference to no live row of the clinic (wherever else it exists)."""
    return {
        "location": "body",
        "pointer": pointer,
        "detail": f"No such {_label(model)} in this clinic.",
        "code": "reference_not_found",
    }


def touch(row: ClinicalRow) -> None:
    """Mark a change: next version, new `updated_at`."""
    row.version += 1
    row.updated_at = utcnow()


def soft_delete(row: ClinicalRow) -> None:
    """Tombstone a row: it leaves reads and lists but stays in `updated_since` feeds."""
    touch(row)
    row.deleted_at = row.updated_at


async def list_page(
    tenant: Tenant,
    model: type[RowT],
    spec: ListSpec,
    given: dict[str, Any],
    *,
    query: ListQuery,
    codec: CursorCodec,
) -> tuple[list[RowT], str | None]:
    """One keyset page of the rows `spec`'s filters `given` select, stable under concurrent
    inserts (`queries.pages.Page`)."""
    page = Page(query, codec, spec.context(given))
    statement = (
        tenant.select(model)
        .where(*spec.conditions(model, given), *page.conditions(model))
        .order_by(*page.order_by(model))
        .limit(page.limit())
    )
    result = await tenant.db.execute(statement, {**spec.bind_values(given), **page.values()})
    return page.cut(list(result.scalars().all()))


def apply_patch(row: Any, changes: dict[str, Any], *, required: frozenset[str]) -> None:
    """Set the fields a PATCH names; `null` clears an optional field, never a required one."""
    errors = [
        {
            "location": "body",
            "pointer": f"#/{name}",
            "detail": "This field cannot be null.",
            "code": "null_not_allowed",
        }
        for name, value in changes.items()
        if value is None and name in required
    ]
    if errors:
        raise ValidationProblemError(errors)
    for name, value in changes.items():
        setattr(row, name, value)
