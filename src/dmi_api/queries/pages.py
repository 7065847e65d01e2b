"""Keyset pages, written once for both paths: the order, the sync rule (`updated_since`
includes tombstones, else only live rows), the position after a cursor, and the cursors.

A page's statement takes its values as bind parameters (`values`), so that the statement's
text depends only on its `shape`: the one-statement path compiles each shape once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, bindparam, literal_column, tuple_

from dmi_api.pagination import CursorCodec, invalid_cursor
from dmi_api.queries.predicates import Source, columns, live

SortKey = Literal["updated_at", "-updated_at", "created_at", "-created_at"]


@dataclass(frozen=True)
class ListQuery:
    """The common list parameters."""

    limit: int
    cursor: str | None
    sort: SortKey = "updated_at"
    updated_since: datetime | None = None


def next_cursor(codec: CursorCodec, context: str, sort_value: datetime, row_id: Any) -> str:
    """The cursor of the page after a row (its sort value and id)."""
    return codec.encode([sort_value.isoformat(), str(row_id)], context=context)


class Page:
    """One page of a list: its conditions, order and limit, and the next page's cursor.

    `context` names the list and its filters: a cursor is bound to it, to the sort and to the
    sync point, so that it cannot be replayed against another query.
    """

    def __init__(self, query: ListQuery, codec: CursorCodec, context: str) -> None:
        self.query, self.codec = query, codec
        self.sort = query.sort.lstrip("-")
        self.descending = query.sort.startswith("-")
        self.context = f"{context}|{query.sort}|{query.updated_since}"
        self.after = self._position()
        # What the statement's text depends on (its values are bind parameters).
        self.shape = (query.sort, query.limit, query.updated_since is None, self.after is None)

    def _position(self) -> tuple[datetime, uuid.UUID] | None:
        if not self.query.cursor:
            return None
        position = self.codec.decode(self.query.cursor, context=self.context)
        try:
            return datetime.fromisoformat(position[0]), uuid.UUID(position[1])
        except (IndexError, TypeError, ValueError):
            raise invalid_cursor() from None

    def values(self) -> dict[str, Any]:
        """The values of the page's bind parameters."""
        found: dict[str, Any] = {}
        if self.query.updated_since is not None:
            found["page_since"] = self.query.updated_since
        if self.after is not None:
            found["page_after"], found["page_after_id"] = self.after
        return found

    def conditions(self, table: Source) -> list[ColumnElement[bool]]:
        """The sync point (or only live rows) and the position after the cursor."""
        c = columns(table)
        found = [
            live(table)
            if self.query.updated_since is None
            else c.updated_at >= bindparam("page_since", type_=c.updated_at.type)
        ]
        if self.after is not None:
            keyset = tuple_(c[self.sort], c.id)
            after = tuple_(
                bindparam("page_after", type_=c[self.sort].type),
                bindparam("page_after_id", type_=c.id.type),
            )
            found.append(keyset < after if self.descending else keyset > after)
        return found

    def order_by(self, table: Source) -> list[Any]:
        """The page's order (the id breaks ties)."""
        c = columns(table)
        keys = (c[self.sort], c.id)
        return [key.desc() for key in keys] if self.descending else list(keys)

    def limit(self) -> Any:
        """One row more than the page, to know whether another follows.

        Written into the text (a validated int), not a parameter: a generic plan that does not
        know it estimates a tenth of the table, so PostgreSQL re-planned the prepared statement
        on every call (twice the server's time).
        """
        return literal_column(str(int(self.query.limit) + 1))

    def cut(self, rows: list[Any]) -> tuple[list[Any], str | None]:
        """The page's rows and the cursor of the next page (None: the last page); `rows` are
        mappings or objects with the sort column and `id`."""
        if len(rows) <= self.query.limit:
            return rows, None
        rows = rows[: self.query.limit]
        last = rows[-1]
        get = last.__getitem__ if hasattr(last, "__getitem__") else last.__getattribute__
        return rows, next_cursor(self.codec, self.context, get(self.sort), get("id"))


Keyset = tuple[datetime, uuid.UUID]


def keyset_slice(
    statement: Any,
    table: Source,
    position: Keyset | None,
    limit: int,
    *,
    stamp: str = "created_at",
    newest_first: bool = False,
) -> Any:
    """An administrative list's page (clients, webhook endpoints and deliveries, audit events):
    `limit` rows in (`stamp`, id) order, oldest or newest first, past a keyset position."""
    c = columns(table)
    keys = (c[stamp], c.id)
    if position is not None:
        key = tuple_(*keys)
        statement = statement.where(key < position if newest_first else key > position)
    order = [k.desc() for k in keys] if newest_first else list(keys)
    return statement.order_by(*order).limit(limit)
