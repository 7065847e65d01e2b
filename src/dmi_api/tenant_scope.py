"""The tenant choke point: every query on clinic-owned rows goes through a `Tenant`."""

from __future__ import annotations

import uuid
from collections import namedtuple
from typing import Any, Protocol, TypeVar

from sqlalchemy import Delete, Select, Update, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from dmi_api.auth.principal import Principal
from dmi_api.queries.predicates import owned_by, table_of

CLINIC_SETTING = "dmi.clinic_id"
CLIENT_SETTING = "dmi.client_id"


class ClinicOwned(Protocol):
    """A table model with an owning clinic."""

    clinic_id: Any


class IdentifiedClinicOwned(ClinicOwned, Protocol):
    """A clinic-owned table model with an `id` primary key."""

    id: Any


RowT = TypeVar("RowT", bound=ClinicOwned)
IdRowT = TypeVar("IdRowT", bound=IdentifiedClinicOwned)


async def bind_settings(
    db: AsyncSession, *, clinic_id: uuid.UUID | None = None, client_id: uuid.UUID | None = None
) -> None:
    """Set the per-transaction settings PostgreSQL's row-level security policies read."""
    if db.get_bind().dialect.name != "postgresql":
        return
    # set_config(..., true) is local to the transaction: a pooled connection never keeps it.
    await db.execute(
        text("SELECT set_config(:c, :cv, true), set_config(:k, :kv, true)"),
        {
            "c": CLINIC_SETTING,
            "cv": str(clinic_id) if clinic_id else "",
            "k": CLIENT_SETTING,
            "kv": str(client_id) if client_id else "",
        },
    )


def named_rows(rows: Any) -> list[Any]:
    """A result's (or a partition's, or the driver's) rows as named tuples of their columns,
    read as attributes at C speed."""
    found = list(rows)
    if not found:
        return found
    first = found[0]
    names = first._fields if hasattr(first, "_fields") else list(first.keys())  # asyncpg's
    make = namedtuple("Row", names)._make  # type: ignore[attr-defined]
    return [make(row) for row in found]


class Tenant:
    """One clinic's view of the database: queries filter by clinic, rows are stamped with it."""

    def __init__(
        self, db: AsyncSession, clinic_id: uuid.UUID, principal: Principal | None = None
    ) -> None:
        self.db = db
        self.clinic_id = clinic_id
        self.principal = principal  # the caller, whose changes are audited (None: an operator)

    def select(self, model: type[RowT]) -> Select[RowT]:
        """`SELECT model` restricted to this clinic's rows."""
        return select(model).where(owned_by(model, self.clinic_id))

    def select_rows(self, model: type[Any]) -> Select[Any]:
        """`SELECT` of the model's table (plain rows, no ORM objects) restricted to this
        clinic's rows: for streaming many."""
        table = table_of(model)
        return select(table).where(owned_by(table, self.clinic_id))

    async def rows(self, statement: Select[Any]) -> list[Any]:
        """A `select_rows` statement's rows, each a named tuple: its columns read as attributes
        at C speed (a SQLAlchemy `Row`'s attributes cost a microsecond each: most of a bulk
        export's time on rows read this way)."""
        return named_rows(await self.db.execute(statement))

    async def get(self, model: type[IdRowT], row_id: Any) -> IdRowT | None:
        """This clinic's row with that id, or None (another clinic's row is None too)."""
        statement = self.select(model).where(model.id == row_id)
        return (await self.db.execute(statement)).scalar_one_or_none()

    def delete(self, model: type[RowT]) -> Delete:
        """`DELETE FROM model` restricted to this clinic's rows (add conditions with `.where`)."""
        return delete(model).where(owned_by(model, self.clinic_id))

    def update(self, model: type[RowT]) -> Update:
        """`UPDATE model` (its table: executable with many parameter sets) restricted to this
        clinic's rows (add conditions with `.where`)."""
        table = table_of(model)
        return update(table).where(owned_by(table, self.clinic_id))

    def add(self, row: RowT) -> RowT:
        """Stage a new row owned by this clinic."""
        if row.clinic_id is None:
            row.clinic_id = self.clinic_id
        if row.clinic_id != self.clinic_id:
            raise PermissionError("a row of another clinic cannot be written")
        self.db.add(row)
        return row
