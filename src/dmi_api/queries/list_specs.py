"""Each list's filters, declared once (`ListSpec`): the query model (and so the OpenAPI
parameters and their 422s), the statement's conditions and values, and the cursor's context
all come from the one declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import ColumnElement, bindparam, func, literal

from dmi_api.errors import ValidationProblemError
from dmi_api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from dmi_api.queries.pages import ListQuery, SortKey
from dmi_api.queries.predicates import Source, columns
from dmi_api.schemas.base import UtcInstant
from dmi_api.schemas.common import (
    CURSOR_DOC,
    CURSOR_MAX_LENGTH,
    CURSOR_MIN_LENGTH,
    CURSOR_PATTERN,
)

Operator = Literal["eq", "ge", "lt", "prefix"]
_LIKE_ESCAPE = "\\"


def _like_prefix(value: str) -> str:
    escaped = value.replace(_LIKE_ESCAPE, 2 * _LIKE_ESCAPE)
    return escaped.replace("%", _LIKE_ESCAPE + "%").replace("_", _LIKE_ESCAPE + "_")


@dataclass(frozen=True)
class Filter:
    """One optional filter of a list: `name` (the query parameter, or `alias`), its type, the
    column it tests (default: `name`) and how (`prefix`: case-insensitive starts-with)."""

    name: str
    annotation: Any
    op: Operator = "eq"
    column: str | None = None
    alias: str | None = None
    description: str | None = None
    normalize: Callable[[Any], Any] | None = None

    @property
    def param(self) -> str:
        """The bind parameter of its value."""
        return f"f_{self.name}"

    def condition(self, table: Source) -> ColumnElement[bool]:
        """Its test of a row of `table`."""
        column = columns(table)[self.column or self.name]
        value = bindparam(self.param, type_=column.type)
        result: ColumnElement[bool]
        if self.op == "prefix":
            pattern = func.lower(value).concat(literal("%"))
            result = func.lower(column).like(pattern, escape=_LIKE_ESCAPE)
        elif self.op == "ge":
            result = column >= value
        elif self.op == "lt":
            result = column < value
        else:
            result = column == value
        return result

    def bound(self, value: Any) -> Any:
        """The value its bind parameter takes."""
        return _like_prefix(value) if self.op == "prefix" else value


@dataclass(frozen=True)
class Range:
    """Two filters that bound one column: the end may not be before the start (422)."""

    start: str
    end: str


class ListParameters(BaseModel):
    """A list's validated query string: its filters, then the page parameters."""

    def value(self, name: str) -> Any:
        """A filter's value (None: not given)."""
        return self.__dict__.get(name)

    def page(self) -> ListQuery:
        """The common list parameters."""
        values = self.__dict__
        return ListQuery(
            limit=values["limit"],
            cursor=values["cursor"],
            sort=values["sort"],
            updated_since=values["updated_since"],
        )


class ListSearch(ListParameters):
    """A list's parameters as a search's JSON body (`POST .../search`): the same fields, and a
    name it does not know is refused (422), where the query string ignores it: a misspelt
    filter must not list every row."""

    model_config = ConfigDict(extra="forbid")


_PAGE_FIELDS: dict[str, Any] = {
    "limit": (int, Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="page size")),
    "cursor": (
        str | None,
        Field(
            default=None,
            pattern=CURSOR_PATTERN,
            min_length=CURSOR_MIN_LENGTH,
            max_length=CURSOR_MAX_LENGTH,
            description=CURSOR_DOC,
        ),
    ),
    "sort": (SortKey, Field(default="updated_at", description="order; `-` for descending")),
    "updated_since": (
        UtcInstant | None,
        Field(
            default=None,
            description="only rows changed at or after this instant, tombstones included "
            "(give its offset: one without is read as UTC)",
        ),
    ),
}


class ListSpec:
    """A list's filters, declared once."""

    def __init__(
        self, resource: str, filters: tuple[Filter, ...], ranges: tuple[Range, ...] = ()
    ) -> None:
        self.resource = resource
        self.filters = {f.name: f for f in filters}
        self.ranges = ranges

    def model(
        self, name: str, *, without: tuple[str, ...] = (), search: bool = False
    ) -> type[ListParameters]:
        """The query model of the list (`without`: filters the path fixes, as a nested list's
        child; `search`: the body of its search by POST, `ListSearch`)."""
        fields: dict[str, Any] = {
            f.name: (
                f.annotation | None,
                Field(default=None, alias=f.alias, description=f.description),
            )
            for f in self.filters.values()
            if f.name not in without
        }
        base = ListSearch if search else ListParameters
        return create_model(name, __base__=base, **fields, **_PAGE_FIELDS)

    def values(self, params: BaseModel, **fixed: Any) -> dict[str, Any]:
        """The filters given (by name), normalized; `fixed`: those of the path."""
        given = {**{name: getattr(params, name, None) for name in self.filters}, **fixed}
        found = {}
        for name, value in given.items():
            if value is not None:
                normalize = self.filters[name].normalize
                found[name] = normalize(value) if normalize else value
        for bound in self.ranges:
            start, end = found.get(bound.start), found.get(bound.end)
            if start is not None and end is not None and end < start:
                raise ValidationProblemError(
                    [
                        {
                            "location": "body" if isinstance(params, ListSearch) else "query",
                            "pointer": f"#/{self.filters[bound.end].alias or bound.end}",
                            "detail": "The end of the range is before its start.",
                            "code": "before_start",
                        }
                    ]
                )
        return found

    def conditions(self, table: Source, given: dict[str, Any]) -> list[ColumnElement[bool]]:
        """The tests of the filters given (their values are `bind_values(given)`)."""
        return [self.filters[name].condition(table) for name in self.filters if name in given]

    def bind_values(self, given: dict[str, Any]) -> dict[str, Any]:
        """The values of the conditions' bind parameters."""
        return {self.filters[name].param: self.filters[name].bound(v) for name, v in given.items()}

    def shape(self, given: dict[str, Any]) -> tuple[str, ...]:
        """What the conditions' text depends on: which filters are given."""
        return tuple(name for name in self.filters if name in given)

    def context(self, given: dict[str, Any]) -> str:
        """What a cursor of the list is bound to: the list and every filter's value."""
        return "|".join([self.resource, *(str(given.get(name)) for name in self.filters)])
