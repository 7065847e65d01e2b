"""Generic operations on clinical resources: live lookups, version bumps, sync-friendly lists."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Set
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlmodel import SQLModel

from dmi_api.audit_trail import Action
from dmi_api.errors import ConflictError, FieldProblem, NotFoundError, ValidationProblemError
from dmi_api.models import Child
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.models.columns import utcnow
from dmi_api.pagination import CursorCodec
from dmi_api.queries.list_specs import ListSpec
from dmi_api.queries.pages import Keyset, ListQuery, Page, SortKey, keyset_slice
from dmi_api.queries.predicates import columns, live, table_of
from dmi_api.services.history import record_change, remember_untouched
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
        # Serialises concurrent writers: the second sees the first's version and gets 412
        # (the row as it is now, also when this session has read it before).
        statement = statement.with_for_update().execution_options(populate_existing=True)
    row = (await tenant.db.execute(statement)).scalar_one_or_none()
    if row is None:
        raise not_found(model)
    return row


async def lock_child(tenant: Tenant, child_id: uuid.UUID) -> None:
    """Hold the child's row (as it is now) until the commit, before writing what is computed
    from its records (assessment scores, milestone warnings): such writes of one child run one
    at a time and see each other's rows, and each takes the child before any of its records
    (a change of the child itself holds it already), so that none waits for another in turn."""
    statement = tenant.select(Child).where(columns(Child).id == child_id)
    locked = statement.with_for_update(key_share=True)  # FOR NO KEY UPDATE: inserts go on
    await tenant.db.execute(locked.execution_options(populate_existing=True))


async def get_of_child(
    tenant: Tenant, model: type[RowT], row_id: uuid.UUID, *, for_update: bool = False
) -> RowT:
    """`get_live` of a row whose change recomputes its child's results: to change it, its
    child is locked first (`lock_child`)."""
    if for_update:
        table = table_of(model)
        of = tenant.select_rows(model).where(table.c.id == row_id)
        child_id = (await tenant.db.execute(of.with_only_columns(table.c.child_id))).scalar()
        if child_id is not None:
            await lock_child(tenant, child_id)
    return await get_live(tenant, model, row_id, for_update=for_update)


async def taken(
    tenant: Tenant, model: type[ClinicalRow], field: str, value: Any, own: uuid.UUID | None
) -> bool:
    """Whether another row of the clinic, tombstones included, has this value of a unique field
    (`own`: the row being changed, if any)."""
    if value is None:
        return False
    statement = tenant.select(model).where(columns(model)[field] == value)
    row = (await tenant.db.execute(statement)).scalar_one_or_none()
    return row is not None and row.id != own


async def any_live(
    tenant: Tenant, model: type[ClinicalRow], *conditions: ColumnElement[bool]
) -> bool:
    """Whether a live row of the clinic meets the conditions."""
    statement = tenant.select(model).where(live(model), *conditions).limit(1)
    return (await tenant.db.execute(statement)).first() is not None


async def live_child(tenant: Tenant, child_id: uuid.UUID) -> Child:
    """A live child of the clinic, else 404 (for a child's nested lists)."""
    return await get_live(tenant, Child, child_id)


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
        return [reference_problem(model, pointer, row_id)], None
    return [], row


async def find_reference(
    tenant: Tenant, model: type[RowT], row_id: uuid.UUID | None, *, pointer: str
) -> RowT | None:
    """A referenced row of this clinic, else a 422 that does not say whether it exists elsewhere."""
    problems, row = await check_reference(tenant, model, row_id, pointer)
    if problems:
        raise ValidationProblemError(problems)
    return row


def reference_problem(model: type[Any], pointer: str, row_id: uuid.UUID) -> FieldProblem:
    """The 422 entry of a reference to no live row of the clinic (wherever else it exists)."""
    detail = f"No such {_label(model)} in this clinic."
    return FieldProblem(pointer, detail, "reference_not_found", reference=row_id)


@dataclass(frozen=True)
class Versioned(Generic[RowT]):
    """A resource whose every version is kept: its type, its table, the snapshot of a row."""

    resource: str
    model: type[RowT]
    snapshot: Callable[[RowT], dict[str, Any]]
    required: frozenset[str] = frozenset()  # the fields a PATCH cannot set to null
    unique: tuple[str, str] = ("", "")  # a field no two rows share, and the 409's words
    of_child: bool = False  # a change recomputes the child's results (`get_of_child`)

    async def _refuse_taken(self, tenant: Tenant, value: Any, own: uuid.UUID | None) -> None:
        field, taken_detail = self.unique
        if field and await taken(tenant, self.model, field, value, own):
            raise ConflictError(taken_detail)

    async def create(self, tenant: Tenant, *, payload: BaseModel, client_id: uuid.UUID) -> RowT:
        """Add a row of the payload's fields (a `unique` value already held: 409)."""
        values = payload.model_dump()
        await self._refuse_taken(tenant, values.get(self.unique[0]), None)
        row = tenant.add(self.model(**values, clinic_id=tenant.clinic_id))
        return await self.written(tenant, row, client_id)

    async def update(
        self, tenant: Tenant, *, row: RowT, patch: BaseModel, client_id: uuid.UUID
    ) -> RowT:
        """Apply a PATCH (the caller checked If-Match; a `unique` value already held: 409)."""
        changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
        await self._refuse_taken(tenant, changes.get(self.unique[0]), row.id)
        return await self.patched(tenant, row, changes, client_id)

    async def get(self, tenant: Tenant, row_id: uuid.UUID, *, for_update: bool = False) -> RowT:
        """A live row of the clinic, else 404."""
        get = get_of_child if self.of_child else get_live
        return await get(tenant, self.model, row_id, for_update=for_update)

    async def written(
        self, tenant: Tenant, row: RowT, client_id: uuid.UUID, *, action: Action | None = None
    ) -> RowT:
        """Flush the row's change, keep its new version and audit it (`record_change`)."""
        await tenant.db.flush()
        await record_change(
            tenant, self.resource, row, self.snapshot(row), client_id, action=action
        )
        return row

    async def patched(
        self, tenant: Tenant, row: RowT, changes: dict[str, Any], client_id: uuid.UUID
    ) -> RowT:
        """Set the fields a PATCH names (`apply_patch`) and keep the row's next version."""
        apply_patch(row, changes, required=self.required)
        touch(row)
        return await self.written(tenant, row, client_id)

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
    """Mark a change: next version, new `updated_at`. The change is taken back when its
    version turns out to equal the one before (`history.record_change`: a no-op)."""
    remember_untouched(row)
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


ModelT = TypeVar("ModelT", bound=SQLModel)


async def oldest_first(
    model: type[ModelT], tenant: Tenant, limit: int, after: Keyset | None
) -> list[ModelT]:
    """A page of the clinic's rows of `model`, oldest first, after a keyset position: the
    administrative lists (clients, webhook endpoints)."""
    statement = keyset_slice(tenant.select(model), model, after, limit)
    return list((await tenant.db.execute(statement)).scalars().all())


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
