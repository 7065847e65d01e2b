"""A column read as the JSON text a body shows for it, for readers that write values out as they
are read (a bulk export's lines): the driver then decodes a string, not a `datetime` or a UUID
that the line's encoder turns back into the same string.

- a JSON column: its stored text, on every backend (`orjson.Fragment` writes it out as it is);
- a UUID: its canonical text, on PostgreSQL;
- a timestamp: ISO 8601 in UTC with a `Z`, the microseconds only when there are any (as
  `orjson` writes an aware `datetime` with `OPT_UTC_Z`), on PostgreSQL.

Elsewhere (SQLite) a UUID or a timestamp is the column itself, converted by its type as usual:
the line is the same either way (tests/exports/test_json_text.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ColumnElement, DateTime, Text, Uuid, cast
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

# Six digits of microseconds, then `.000000Z` (none) shortened to `Z`. The driver writes the
# first and the last moment a `datetime` can hold as PostgreSQL's -infinity and infinity (which
# `to_char` renders as NULL), and reads them back as those moments: they are written so.
_TIMESTAMP = """coalesce(replace(to_char(({0}) AT TIME ZONE 'UTC', \
'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z'), \
CASE WHEN ({0}) = 'infinity' THEN '9999-12-31T23:59:59.999999Z' \
WHEN ({0}) = '-infinity' THEN '0001-01-01T00:00:00Z' END)"""


class _ServerText(FunctionElement[Any]):
    """A UUID or a timestamp as its JSON text, rendered by PostgreSQL."""

    inherit_cache = True


@compiles(_ServerText, "postgresql")
def _server_text_pg(element: _ServerText, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    value = compiler.process(column, **kw)
    if isinstance(_kind(column.type), DateTime):
        return _TIMESTAMP.format(value)
    return f"CAST({value} AS TEXT)"


@compiles(_ServerText)
def _server_text_other(element: _ServerText, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(column, **kw)


class _MinutesAfter(FunctionElement[Any]):
    """A timestamp column plus an integer column of minutes, typed as the timestamp."""

    inherit_cache = True


@compiles(_MinutesAfter, "postgresql")
def _minutes_after_pg(element: _MinutesAfter, compiler: SQLCompiler, **kw: Any) -> str:
    # -infinity is the driver's first moment (`datetime.min`), from which the API counts.
    moment, minutes = (compiler.process(clause, **kw) for clause in element.clauses)
    start = (
        f"CASE WHEN {moment} = '-infinity' THEN '0001-01-01 00:00:00+00'::timestamptz "
        f"ELSE {moment} END"
    )
    return f"(({start}) + make_interval(mins => {minutes}))"


@compiles(_MinutesAfter)
def _minutes_after_other(element: _MinutesAfter, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps a moment as `YYYY-MM-DD HH:MM:SS.ffffff`; its `datetime()` rounds the
    # fraction away: given the whole seconds, it adds the minutes, and the fraction is kept.
    moment, minutes = (compiler.process(clause, **kw) for clause in element.clauses)
    return (
        f"(datetime(substr({moment}, 1, 19), '+' || {minutes} || ' minutes') "
        f"|| substr({moment}, 20))"
    )


def minutes_after(moment: ColumnElement[Any], minutes: ColumnElement[Any]) -> ColumnElement[Any]:
    """The moment `minutes` after `moment` (a session's end), of `moment`'s type."""
    element = _MinutesAfter(moment, minutes)
    element.type = moment.type
    return element


def _kind(type_: Any) -> Any:
    """A type under its decorators."""
    return type_.impl if isinstance(type_, TypeDecorator) else type_


def json_text(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` read as the JSON text a body shows for it (see the module); a column of any
    other type is refused."""
    kind = _kind(column.type)
    if isinstance(kind, JSON):
        return cast(column, Text)
    if isinstance(kind, DateTime | Uuid):
        element = _ServerText(column)
        element.type = column.type  # elsewhere: the column, converted as its type converts
        return element
    raise TypeError(f"{type(kind).__name__} columns are read as they are")


def has_json_text(column: ColumnElement[Any]) -> bool:
    """Whether `json_text` takes this column (a JSON document, a timestamp or a UUID)."""
    return isinstance(_kind(column.type), JSON | DateTime | Uuid)


def is_json_text(column: ColumnElement[Any]) -> bool:
    """Whether `json_text` reads this column as text on every backend (a JSON column)."""
    return isinstance(_kind(column.type), JSON)
