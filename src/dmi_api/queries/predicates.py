"""The predicates every query shares, each written once.

They take a table, an alias of one or a table model, and values or bind parameters, so that
the session path (`tenant_scope.Tenant`, `services`) and the one-statement path (`direct`)
build their statements from the same expressions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_
from sqlalchemy.sql.base import ReadOnlyColumnCollection

Source = Any  # a Table, an alias of one, or a table model (its `__table__`)


def columns(source: Source) -> ReadOnlyColumnCollection[str, Any]:
    """The columns of a table, an alias or a table model."""
    table: Any = getattr(source, "__table__", source)
    found: ReadOnlyColumnCollection[str, Any] = table.c
    return found


def table_of(model: Any) -> Table:
    """A table model's table."""
    table: Table = model.__table__
    return table


def owned_by(table: Source, clinic: Any) -> ColumnElement[bool]:
    """The row is the clinic's (`clinic`: its id or a bind parameter)."""
    result: ColumnElement[bool] = columns(table).clinic_id == clinic
    return result


def live(table: Source) -> ColumnElement[bool]:
    """The row is not a tombstone."""
    result: ColumnElement[bool] = columns(table).deleted_at.is_(None)
    return result


def live_row(table: Source, clinic: Any, row_id: Any) -> ColumnElement[bool]:
    """The clinic's live row with this id."""
    return and_(owned_by(table, clinic), columns(table).id == row_id, live(table))


def of_live_child(table: Source, clinic: Any, child: Any) -> ColumnElement[bool]:
    """A live row of the clinic about this child."""
    return and_(owned_by(table, clinic), columns(table).child_id == child, live(table))


def live_item_of_live_prescription(
    items: Source, prescriptions: Source, clinic: Any
) -> ColumnElement[bool]:
    """A prescription item still on its prescription, which is the clinic's and live (the join
    condition of `items` and `prescriptions`: add the child on `prescriptions`)."""
    return and_(
        owned_by(items, clinic),
        columns(items).removed_at.is_(None),
        columns(prescriptions).id == columns(items).prescription_id,
        owned_by(prescriptions, clinic),
        live(prescriptions),
    )
