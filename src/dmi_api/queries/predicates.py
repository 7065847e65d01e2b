"""The predicates every query shares, each written once.

They take a table, an alias of one or a table model, and values or bind parameters, so that
the session path (`tenant_scope.Tenant`, `services`) and the one-statement path (`direct`)
build their statements from the same expressions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, or_
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
    return and_(owned_by(table, clinic), child_of(table, child))


def kept_item(items: Source) -> ColumnElement[bool]:
    """A prescription item still on its prescription (a removed one stays, for the records
    that name it)."""
    result: ColumnElement[bool] = columns(items).removed_at.is_(None)
    return result


def live_item_of_live_prescription(
    items: Source, prescriptions: Source, clinic: Any
) -> ColumnElement[bool]:
    """A prescription item still on its prescription, which is the clinic's and live (the join
    condition of `items` and `prescriptions`: add the child on `prescriptions`)."""
    return and_(
        owned_by(items, clinic),
        kept_item(items),
        columns(prescriptions).id == columns(items).prescription_id,
        owned_by(prescriptions, clinic),
        live(prescriptions),
    )


def child_of(table: Source, child: Any) -> ColumnElement[bool]:
    """A live row about this child (the clinic's: `Tenant.select`, or `owned_by` as well)."""
    return and_(columns(table).child_id == child, live(table))


def final_between(table: Source, first: Any, last: Any) -> ColumnElement[bool]:
    """A final assessment performed on a day from `first` to `last` (both included)."""
    c = columns(table)
    return and_(c.status == "final", c.performed_on >= first, c.performed_on <= last)


def started_in(table: Source, start: Any, end: Any) -> ColumnElement[bool]:
    """A session that started at or after `start` and before `end`."""
    c = columns(table)
    return and_(c.started_at >= start, c.started_at < end)


def ran(table: Source) -> ColumnElement[bool]:
    """A prescription that was ever in effect: a finished one counts in the periods it ran in;
    a draft never ran."""
    result: ColumnElement[bool] = columns(table).status != "draft"
    return result


def runs_into(table: Source, first: Any, last: Any) -> ColumnElement[bool]:
    """A prescription whose days reach into `first`..`last`: begun by `last`, and neither its
    period nor its completion (`ended_on`, the first day not counted) over before `first`
    (`services.adherence.runs_until` in SQL)."""
    c = columns(table)
    result: ColumnElement[bool] = and_(
        c.period_start <= last,
        or_(c.period_end.is_(None), c.period_end >= first),
        or_(c.ended_on.is_(None), c.ended_on > first),
    )
    return result
