"""List session records (a clinic's, or one child's) as one statement each.

The page, its amendments, the child's check (nested list) and the audit event are one
statement; the bodies are `services.session_record_views.plain_view`'s.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import (
    Interval,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.sql.expression import ColumnElement

from dmi_api.auth.principal import Principal
from dmi_api.direct.bound_db import DirectDb
from dmi_api.direct.statements import CLINIC, audit_cte, auth_cte, compiled
from dmi_api.models import Child, SessionAmendment, SessionRecord
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import SESSION_RECORDS
from dmi_api.queries.pages import ListQuery, Page
from dmi_api.queries.predicates import live_row, owned_by
from dmi_api.schemas.session_records import AmendmentPublic, SessionRecordPublic
from dmi_api.services.resources import not_found
from dmi_api.services.session_record_rules import RESOURCE
from dmi_api.services.session_record_views import stored_views

_TABLE: Table = SessionRecord.__table__  # type: ignore[attr-defined]
_AMENDMENTS: Table = SessionAmendment.__table__  # type: ignore[attr-defined]
_CHILDREN: Table = Child.__table__  # type: ignore[attr-defined]
_FIELDS = tuple(SessionRecordPublic.model_fields)
_AMENDMENT_FIELDS = tuple(AmendmentPublic.model_fields)


def _columns() -> list[ColumnElement[Any]]:
    """Every field of the body in its order: JSON as its text (parsed to pick the API's
    fields), the end computed, the amendments as an array of rows."""
    s, a = _TABLE.c, _AMENDMENTS.c
    amendments = (
        select(func.row(*(a[name] for name in _AMENDMENT_FIELDS)))
        .where(owned_by(_AMENDMENTS, CLINIC), a.session_record_id == s.id)
        .order_by(a.created_at, a.id)
        .scalar_subquery()
    )
    computed: dict[str, ColumnElement[Any]] = {
        "exercises": cast(s.exercises, Text),
        "notes": cast(s.notes, Text),
        "ended_at": s.started_at
        + s.duration_minutes * literal_column("interval '1 minute'", Interval),
        "amendments": func.array(amendments),
    }
    return [(computed[name] if name in computed else s[name]).label(name) for name in _FIELDS]


def _body(record: Any) -> dict[str, Any]:
    # The record's first columns are the body's fields (zip stops there).
    body = dict(zip(_FIELDS, record))  # noqa: B905
    body["exercises"], body["notes"] = stored_views(
        orjson.loads(body["exercises"]), orjson.loads(body["notes"])
    )
    body["amendments"] = [dict(zip(_AMENDMENT_FIELDS, a)) for a in body["amendments"]]  # noqa: B905
    return body


def _list(page: Page, filters: dict[str, Any], nested: bool) -> Any:
    auth = auth_cte()
    conditions = [owned_by(_TABLE, CLINIC)]
    if nested:
        # The child is checked in the statement; its list is audited only if it is there.
        kid = (
            select(_CHILDREN.c.id)
            .where(
                live_row(_CHILDREN, CLINIC, bindparam("f_child_id", type_=Uuid())),
                exists(auth.select()),
            )
            .cte("kid")
        )
        conditions.append(_TABLE.c.child_id == kid.c.id)
        given = {name: value for name, value in filters.items() if name != "child_id"}
        source: Any = auth.outerjoin(kid, true())
        logged = audit_cte(
            kid, action="list", resource_type=RESOURCE, resource_id=None, child_id=kid.c.id
        )
        extra = [kid.c.id.label("found_child")]
    else:
        given, source, extra = filters, auth, []
        child = bindparam("f_child_id", type_=Uuid()) if "child_id" in filters else None
        logged = audit_cte(
            auth, action="list", resource_type=RESOURCE, resource_id=None, child_id=child
        )
    rows = (
        select(*_columns())
        .where(*conditions, *SESSION_RECORDS.conditions(_TABLE, given), *page.conditions(_TABLE))
        .order_by(*page.order_by(_TABLE))
        .limit(page.limit())
        .lateral("page")
    )
    return (
        select(*rows.c, *extra)
        .select_from(source.outerjoin(rows, true()))
        .order_by(*page.order_by(rows))
        .add_cte(logged)
    )


async def list_records(
    direct: DirectDb,
    principal: Principal,
    *,
    query: ListQuery,
    codec: CursorCodec,
    filters: dict[str, Any],
    nested: bool,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of records with their amendments, as `services.session_record_queries.list_public`
    (`filters`: `queries.lists.SESSION_RECORDS`'s values). `nested`: the list of the child
    `filters["child_id"]`, 404 unless it is the clinic's and live."""
    page = Page(query, codec, SESSION_RECORDS.context(filters))
    shape = ("session_record.list", nested, SESSION_RECORDS.shape(filters), page.shape)
    statement = compiled(shape, lambda: _list(page, filters, nested))
    values = {**SESSION_RECORDS.bind_values(filters), **page.values()}
    rows = await direct.fetch(principal, statement, values)
    if nested and rows[0]["found_child"] is None:
        raise not_found(Child)
    found, cursor = page.cut([row for row in rows if row["id"] is not None])
    return [_body(row) for row in found], cursor
