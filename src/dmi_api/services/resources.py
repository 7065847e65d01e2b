"""Generic operations on clinical resources: live lookups, version bumps, sync-friendly lists."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, tuple_
from sqlmodel import col

from dmi_api.errors import FieldProblem, NotFoundError, ValidationProblemError
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.models.columns import utcnow
from dmi_api.pagination import CursorCodec, invalid_cursor
from dmi_api.services.history import record_version
from dmi_api.tenant_scope import Tenant

RowT = TypeVar("RowT", bound=ClinicalRow)
SortKey = Literal["updated_at", "-updated_at", "created_at", "-created_at"]


def _label(model: type[ClinicalRow]) -> str:
    return str(model.__tablename__).replace("_", " ")


async def get_live(
    tenant: Tenant, model: type[RowT], row_id: uuid.UUID, *, for_update: bool = False
) -> RowT:
    """A row of this clinic that is not deleted, else 404 (the same for another clinic's row)."""
    statement = tenant.select(model).where(col(model.id) == row_id, col(model.deleted_at).is_(None))
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


async def check_reference(
    tenant: Tenant, model: type[RowT], row_id: uuid.UUID | None, pointer: str
) -> tuple[list[FieldProblem], RowT | None]:
    """A referenced row of this clinic, or the problem of a reference to none (collected rather
    than raised, so that one answer lists every bad field)."""
    if row_id is None:
        return [], None
    row = await tenant.get(model, row_id)
    if row is None or row.deleted_at is not None:
        return [reference_problem(model, pointer)], None
    return [], row


async def find_reference(
    tenant: Tenant, model: type[RowT], row_id: uuid.UUID | None, *, pointer: str
) -> RowT | None:
    """A referenced row of this clinic, else a 422 that does not say whether it exists elsewhere."""
    problems, row = await check_reference(tenant, model, row_id, pointer)
    if problems:
        raise ValidationProblemError(problems)
    return row


def reference_problem(model: type[Any], pointer: str) -> FieldProblem:
    """The 422 entry of a reference to no live row of the clinic (wherever else it exists)."""
    return FieldProblem(pointer, f"No such {_label(model)} in this clinic.", "reference_not_found")


@dataclass(frozen=True)
class Versioned(Generic[RowT]):
    """A resource whose every version is kept: its type, its table, the snapshot of a row."""

    resource: str
    model: type[RowT]
    snapshot: Callable[[RowT], dict[str, Any]]

    async def get(self, tenant: Tenant, row_id: uuid.UUID, *, for_update: bool = False) -> RowT:
        """A live row of the clinic, else 404."""
        return await get_live(tenant, self.model, row_id, for_update=for_update)

    async def written(self, tenant: Tenant, row: RowT, client_id: uuid.UUID) -> RowT:
        """Flush the row's change and keep its new version."""
        await tenant.db.flush()
        record_version(tenant, self.resource, row, self.snapshot(row), client_id)
        return row

    async def delete(self, tenant: Tenant, *, row: RowT, client_id: uuid.UUID) -> None:
        """Tombstone a row, keeping that version."""
        soft_delete(row)
        await self.written(tenant, row, client_id)


def snapshot_of(
    to_public: Callable[[RowT], BaseModel], *, exclude: Set[str] = frozenset()
) -> Callable[[RowT], dict[str, Any]]:
    """The kept version of a row: its API view as JSON data, without derived fields."""

    def snapshot(row: RowT) -> dict[str, Any]:
        data: dict[str, Any] = to_public(row).model_dump(mode="json", exclude=set(exclude))
        return data

    return snapshot


def touch(row: ClinicalRow) -> None:
    """Mark a change: next version, new `updated_at`."""
    row.version += 1
    row.updated_at = utcnow()


def soft_delete(row: ClinicalRow) -> None:
    """Tombstone a row: it leaves reads and lists but stays in `updated_since` feeds."""
    touch(row)
    row.deleted_at = row.updated_at


@dataclass(frozen=True)
class ListQuery:
    """The common list parameters."""

    limit: int
    cursor: str | None
    sort: SortKey = "updated_at"
    updated_since: datetime | None = None


def page_context(context: str, query: ListQuery) -> str:
    """What a cursor is bound to: the query's filters (`context`), its sort and sync point."""
    return f"{context}|{query.sort}|{query.updated_since}"


def cursor_position(
    codec: CursorCodec, query: ListQuery, context: str
) -> tuple[datetime, uuid.UUID] | None:
    """Where the page starts after (sort value, id), from the query's cursor; None: the start."""
    if not query.cursor:
        return None
    position = codec.decode(query.cursor, context=context)
    try:
        return datetime.fromisoformat(position[0]), uuid.UUID(position[1])
    except (IndexError, TypeError, ValueError):
        raise invalid_cursor() from None


def next_cursor(codec: CursorCodec, context: str, sort_value: datetime, row_id: Any) -> str:
    """The cursor of the page after a row (its sort value and id)."""
    return codec.encode([sort_value.isoformat(), str(row_id)], context=context)


async def list_page(
    tenant: Tenant,
    model: type[RowT],
    *,
    query: ListQuery,
    filters: list[ColumnElement[bool]],
    codec: CursorCodec,
    context: str,
) -> tuple[list[RowT], str | None]:
    """One keyset page, stable under concurrent inserts; tombstones only in `updated_since`."""
    column_name = query.sort.lstrip("-")
    descending = query.sort.startswith("-")
    sort_column = getattr(model, column_name)
    statement = tenant.select(model).where(*filters)
    if query.updated_since is not None:
        statement = statement.where(col(model.updated_at) >= query.updated_since)
    else:
        statement = statement.where(col(model.deleted_at).is_(None))
    # The cursor is bound to the query: filters and sort are part of its context.
    context = page_context(context, query)
    after = cursor_position(codec, query, context)
    if after is not None:
        keyset = tuple_(sort_column, col(model.id))
        statement = statement.where(keyset < after if descending else keyset > after)
    order = (
        (sort_column.desc(), col(model.id).desc()) if descending else (sort_column, col(model.id))
    )
    statement = statement.order_by(*order).limit(query.limit + 1)
    rows = list((await tenant.db.execute(statement)).scalars().all())
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last: Any = rows[-1]
    return rows, next_cursor(codec, context, getattr(last, column_name), last.id)


def apply_patch(row: Any, changes: dict[str, Any], *, required: frozenset[str]) -> None:
    """Set the fields a PATCH names; `null` clears an optional field, never a required one."""
    nulls = [name for name, value in changes.items() if value is None and name in required]
    if nulls:
        raise ValidationProblemError([null_problem(name) for name in nulls])
    for name, value in changes.items():
        setattr(row, name, value)


def null_problem(name: str) -> FieldProblem:
    """The 422 entry of a required field sent as `null`."""
    return FieldProblem(f"#/{name}", "This field cannot be null.", "null_not_allowed")


def null_problems(patch: BaseModel, required: Set[str]) -> list[FieldProblem]:
    """The fields a PATCH sends as `null` that a row always has, in name order."""
    sent = patch.model_fields_set & required
    return [null_problem(name) for name in sorted(sent) if getattr(patch, name) is None]
