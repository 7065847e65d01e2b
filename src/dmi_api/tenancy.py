"""The tenant choke point: every query on clinic-owned rows goes through a `Tenant`."""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

CLINIC_SETTING = "dmi.clinic_id"
CLIENT_SETTING = "dmi.client_id"


class ClinicOwned(Protocol):
    """A table model with an owning clinic."""

    id: Any
    clinic_id: Any


RowT = TypeVar("RowT", bound=ClinicOwned)


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


class Tenant:
    """One clinic's view of the database: queries filter by clinic, rows are stamped with it."""

    def __init__(self, db: AsyncSession, clinic_id: uuid.UUID) -> None:
        self.db = db
        self.clinic_id = clinic_id

    def select(self, model: type[RowT]) -> Select[RowT]:
        """`SELECT model` restricted to this clinic's rows."""
        return select(model).where(model.clinic_id == self.clinic_id)

    async def get(self, model: type[RowT], row_id: Any) -> RowT | None:
        """This clinic's row with that id, or None (another clinic's row is None too)."""
        statement = self.select(model).where(model.id == row_id)
        return (await self.db.execute(statement)).scalar_one_or_none()

    def add(self, row: RowT) -> RowT:
        """Stage a new row owned by this clinic."""
        if row.clinic_id is None:
            row.clinic_id = self.clinic_id
        if row.clinic_id != self.clinic_id:
            raise PermissionError("a row of another clinic cannot be written")
        self.db.add(row)
        return row
