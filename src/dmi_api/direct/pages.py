"""Keyset pages in direct statements: `services.resources.list_page`'s rules, written as SQL.

The same order, the same tombstone rule (`updated_since` includes them, else only live rows),
the same cursors (bound to the same context), so that either path reads the other's cursors.
"""

from __future__ import annotations

from typing import Any

from dmi_api.direct.statements import COMMON_PARAMETERS
from dmi_api.pagination import CursorCodec
from dmi_api.services.resources import ListQuery, cursor_position, next_cursor, page_context

_SORT_COLUMNS = frozenset({"updated_at", "created_at"})


class Parameters:
    """A statement's own parameters, numbered after the common ones in the order added."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any, cast: str) -> str:
        """The placeholder of a new parameter, with its cast."""
        self.values.append(value)
        return f"${COMMON_PARAMETERS + len(self.values)}::{cast}"


class KeysetPage:
    """One page of a list: its SQL (after the statement's own filters) and its cursor."""

    def __init__(self, query: ListQuery, codec: CursorCodec, context: str) -> None:
        # The sort column is one of ListQuery's literals (validated), never the caller's text.
        self.sort = query.sort.lstrip("-")
        if self.sort not in _SORT_COLUMNS:
            raise ValueError(f"unknown sort column {self.sort!r}")
        self.descending = query.sort.startswith("-")
        self.query = query
        self.codec = codec
        self.context = page_context(context, query)
        self.after = cursor_position(codec, query, self.context)

    def conditions(self, params: Parameters) -> list[str]:
        """The sync point (or only live rows) and the position after the cursor."""
        found = []
        if self.query.updated_since is not None:
            since = params.add(self.query.updated_since, "timestamptz")
            found.append(f"updated_at >= {since}")
        else:
            found.append("deleted_at IS NULL")
        if self.after is not None:
            value, row_id = self.after
            keyset = f"({params.add(value, 'timestamptz')}, {params.add(row_id, 'uuid')})"
            found.append(f"({self.sort}, id) {'<' if self.descending else '>'} {keyset}")
        return found

    def order(self, table: str = "") -> str:
        """`ORDER BY` of the page (of `table.` columns, if named)."""
        direction = " DESC" if self.descending else ""
        prefix = f"{table}." if table else ""
        return f"ORDER BY {prefix}{self.sort}{direction}, {prefix}id{direction}"

    def limit(self) -> str:
        """`LIMIT`: one row more than the page, to know whether another follows.

        Written into the text (a validated int, 1..MAX_LIMIT), not passed as a parameter: a
        generic plan that does not know it estimates a tenth of the table, so PostgreSQL
        re-planned the prepared statement on every call (twice the server's time).
        """
        return f"LIMIT {int(self.query.limit) + 1:d}"

    def cut(self, rows: list[Any]) -> tuple[list[Any], str | None]:
        """The page's rows and the cursor of the next page (None: the last page)."""
        if len(rows) <= self.query.limit:
            return rows, None
        rows = rows[: self.query.limit]
        last = rows[-1]
        return rows, next_cursor(self.codec, self.context, last[self.sort], last["id"])
