"""FHIR reads and searches over the source descriptions (`fhir_sources`): a resource id found
back to its row, a search's pages keyed by the rows' `(updated_at, id)` across an output
type's tables, each page holding at most `_count` resources."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Date, Select, func, tuple_

from dmi_api.errors import GoneError, NotFoundError
from dmi_api.fhir.search import ANY_IDENTIFIER, Bound
from dmi_api.pagination import CursorCodec, invalid_cursor
from dmi_api.queries.predicates import columns, live
from dmi_api.services.export_sources import Context, Part, Resource, Source
from dmi_api.services.fhir_sources import of_live_patient, patient_deleted


@dataclass(frozen=True)
class Search:
    """A search's parameters, every one ANDed (None: not given)."""

    ids: tuple[str, ...] | None = None
    patient: uuid.UUID | None = None
    identifier: str | None = None  # `ANY_IDENTIFIER`: any value of the clinic's system
    updated: tuple[Bound, ...] = ()
    dates: tuple[Bound, ...] = ()

    def key(self) -> str:
        """The parameters as text: a cursor is bound to them."""
        bounds = (
            [(b.lower, b.at.isoformat()) for b in self.updated],
            [(b.lower, b.at.isoformat()) for b in self.dates],
        )
        return f"{sorted(self.ids or [])}|{self.patient}|{self.identifier}|{bounds}"


async def _row_id(context: Context, part: Part, resource_id: str) -> uuid.UUID | None:
    if part.locate is not None:
        return await part.locate(context, resource_id)
    return part.row_id(resource_id)


async def read(context: Context, source: Source, resource_id: str) -> tuple[Resource, Part, Any]:
    """The resource with this id, its part and its row; 410 when its row is a tombstone, 404
    when no row of the clinic yields it."""
    for part in source.parts:
        row_id = await _row_id(context, part, resource_id)
        if row_id is None:
            continue
        statement = part.select(context.tenant).where(columns(part.model).id == row_id)
        row = (await context.tenant.db.execute(statement)).first()
        if row is None:
            continue
        [found] = await part.render(context, [row])
        for resource in found:
            if resource["id"] == resource_id:
                if row.deleted_at is not None or await patient_deleted(context, part, row):
                    raise GoneError(f"This {source.name} was deleted.")
                return resource, part, row
    raise NotFoundError(f"No {source.name} with this id.")


def _on_days(dated: Any, bound: Bound) -> Any:
    """A bound on a date column: the days that overlap the moments it takes in."""
    day = bound.at.date()
    if bound.lower:
        return dated >= day
    midnight = bound.at.time() == datetime.min.time()
    return dated < day if midnight else dated <= day


async def _statement(
    context: Context, part: Part, search: Search, after: tuple[datetime, uuid.UUID] | None
) -> Select[Any] | None:
    """The part's live rows matching the search (None: none can)."""
    c = columns(part.model)
    statement = part.select(context.tenant).where(live(part.model))
    if part.where is not None:
        statement = statement.where(part.where())
    patient = of_live_patient(context, part)
    if patient is not None:
        statement = statement.where(patient)
    if search.patient is not None:
        if part.patient is None:
            return None
        statement = statement.where(c[part.patient] == search.patient)
    if search.identifier is not None:
        if part.identifier is None:
            return None
        held = c[part.identifier]
        any_value = search.identifier == ANY_IDENTIFIER
        statement = statement.where(held.is_not(None) if any_value else held == search.identifier)
    if search.ids is not None:
        wanted = {await _row_id(context, part, one) for one in search.ids} - {None}
        if not wanted:
            return None
        statement = statement.where(c.id.in_(wanted))
    for bound in search.updated:
        statement = statement.where(
            c.updated_at >= bound.at if bound.lower else c.updated_at < bound.at
        )
    if search.dates:
        if part.date is None:
            return None
        named = (part.date,) if isinstance(part.date, str) else part.date
        dated: Any = c[named[0]] if len(named) == 1 else func.coalesce(*(c[n] for n in named))
        for bound in search.dates:
            if isinstance(dated.type, Date):
                statement = statement.where(_on_days(dated, bound))
            else:
                statement = statement.where(dated >= bound.at if bound.lower else dated < bound.at)
    if after is not None:
        statement = statement.where(tuple_(c.updated_at, c.id) > tuple_(*after))
    return statement.order_by(c.updated_at, c.id)


class _Cursor:
    """A search's position: the part, and the last row taken in it (`(updated_at, id)`)."""

    def __init__(self, codec: CursorCodec, source: Source, search: Search) -> None:
        self.codec, self.context = codec, f"fhir:{source.name}|{search.key()}"

    def encode(self, part: int, row: Any | None) -> str:
        position = (
            [part, None, None] if row is None else [part, row.updated_at.isoformat(), str(row.id)]
        )
        return self.codec.encode(position, context=self.context)

    def decode(
        self, cursor: str | None, parts: int
    ) -> tuple[int, tuple[datetime, uuid.UUID] | None]:
        if cursor is None:
            return 0, None
        position = self.codec.decode(cursor, context=self.context)
        try:
            part, stamp, row_id = position
            after = None if stamp is None else (datetime.fromisoformat(stamp), uuid.UUID(row_id))
        except (TypeError, ValueError):
            raise invalid_cursor() from None
        if not isinstance(part, int) or not 0 <= part < parts:
            raise invalid_cursor()
        return part, after


async def search(
    context: Context,
    source: Source,
    query: Search,
    *,
    count: int,
    cursor: str | None,
    codec: CursorCodec,
) -> tuple[list[Resource], str | None]:
    """One page: at most `count` resources (a row's resources stay together; a row with more
    than `count` fills a page alone), and the next page's cursor (None: the last page)."""
    position = _Cursor(codec, source, query)
    first, after = position.decode(cursor, len(source.parts))
    found: list[Resource] = []
    for index in range(first, len(source.parts)):
        part = source.parts[index]
        statement = await _statement(context, part, query, after if index == first else None)
        if statement is None:
            continue
        rows = list((await context.tenant.db.execute(statement.limit(count + 1))).all())
        rendered = await part.render(context, rows[:count])
        last = None
        for row, resources in zip(rows, rendered, strict=False):
            if query.ids is not None:
                resources = [r for r in resources if r["id"] in query.ids]
            if found and len(found) + len(resources) > count:
                return found, position.encode(index, last)
            found += resources
            last = row
        if len(rows) > count:
            return found, position.encode(index, last)
    return found, None


# Rows read and rendered at a time while counting.
COUNT_CHUNK = 500


async def count(context: Context, source: Source, query: Search) -> int:
    """How many resources the search matches (`_summary=count`): each part's rows read in
    chunks and rendered, as the search's pages would be (a row may yield several resources,
    and `_id` matches a resource's id exactly)."""
    total = 0
    for part in source.parts:
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            statement = await _statement(context, part, query, after)
            if statement is None:
                break
            rows = list((await context.tenant.db.execute(statement.limit(COUNT_CHUNK))).all())
            for resources in await part.render(context, rows):
                if query.ids is not None:
                    resources = [r for r in resources if r["id"] in query.ids]
                total += len(resources)
            if len(rows) < COUNT_CHUNK:
                break
            after = (rows[-1].updated_at, rows[-1].id)
    return total
