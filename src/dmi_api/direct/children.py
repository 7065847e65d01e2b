"""GET one child and list children as one statement each (see `dmi_api.direct`)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Table, Text, Uuid, bindparam, cast, exists, select, true

from dmi_api.auth.principal import Principal
from dmi_api.direct.bound_db import DirectDb
from dmi_api.direct.statements import (
    CLINIC,
    audit_cte,
    auth_cte,
    clinic_rules,
    compiled,
    rule_columns,
)
from dmi_api.models import Child
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import CHILDREN
from dmi_api.queries.pages import ListQuery, Page
from dmi_api.queries.predicates import live_row, owned_by
from dmi_api.rule_values import RuleSettings
from dmi_api.schemas.children import ChildPublic
from dmi_api.services import children as child_service
from dmi_api.services import rules_in_effect
from dmi_api.services.resources import not_found

RESOURCE = child_service.RESOURCE
_TABLE: Table = Child.__table__  # type: ignore[attr-defined]
_JSON_FIELDS = ("diagnoses", "caregivers", "floortime_target")
_FIELDS = tuple(name for name in ChildPublic.model_fields if name != "age")
# JSON columns come as their text, passed through to the response unparsed.
_COLUMNS = [
    cast(_TABLE.c[name], Text).label(name) if name in _JSON_FIELDS else _TABLE.c[name]
    for name in _FIELDS
]


def _get() -> Any:
    auth = auth_cte()
    found = (
        select(*_COLUMNS)
        .where(live_row(_TABLE, CLINIC, bindparam("child_id", type_=Uuid())), exists(auth.select()))
        .cte("found")
    )
    logged = audit_cte(
        found, action="read", resource_type=RESOURCE, resource_id=found.c.id, child_id=found.c.id
    )
    # The child's columns first, in `_FIELDS` order (`_body` zips them).
    return (
        select(*found.c, *rule_columns(auth))
        .select_from(auth.outerjoin(found, true()))
        .add_cte(logged)
    )


class ChildRead(NamedTuple):
    """A child's body (ages as of today) and its version (for the ETag)."""

    body: dict[str, Any]
    version: int


def _body(record: Any, rules: RuleSettings, today: date) -> dict[str, Any]:
    # The record's first columns (the rule settings follow). No `strict=` keyword: its
    # parsing alone was an eighth of this function's time, once per row.
    body = dict(zip(_FIELDS, record))  # noqa: B905
    for name in _JSON_FIELDS:
        body[name] = orjson.Fragment(body[name] or "null")  # SQL NULL: a row from before a column
    body["age"] = rules_in_effect.age_plain_of(
        rules,
        body["birth_date"],
        body["gestational_age_weeks"],
        body["gestational_age_days"],
        today,
    )
    return body


async def get_child(direct: DirectDb, principal: Principal, child_id: uuid.UUID) -> ChildRead:
    """The clinic's live child (401: the client is no longer active; 404: no such child)."""
    rows = await direct.fetch(principal, compiled("child.get", _get), {"child_id": child_id})
    record = rows[0]
    if record["id"] is None:
        raise not_found(Child)
    rules = clinic_rules(record)
    return ChildRead(_body(record, rules, rules.today()), record["version"])


def _list(page: Page, filters: dict[str, Any]) -> Any:
    auth = auth_cte()
    logged = audit_cte(auth, action="list", resource_type=RESOURCE, resource_id=None, child_id=None)
    rows = (
        select(*_COLUMNS)
        .where(
            owned_by(_TABLE, CLINIC),
            *CHILDREN.conditions(_TABLE, filters),
            *page.conditions(_TABLE),
        )
        .order_by(*page.order_by(_TABLE))
        .limit(page.limit())
        .lateral("page")
    )
    return (
        select(*rows.c, *rule_columns(auth))
        .select_from(auth.outerjoin(rows, true()))
        .order_by(*page.order_by(rows))
        .add_cte(logged)
    )


async def list_children(
    direct: DirectDb,
    principal: Principal,
    *,
    query: ListQuery,
    codec: CursorCodec,
    filters: dict[str, Any],
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the clinic's children (`filters`: `queries.lists.CHILDREN`'s values), as the
    session path's `services.children.list_rows` and its bodies, in one statement."""
    page = Page(query, codec, CHILDREN.context(filters))
    shape = ("child.list", CHILDREN.shape(filters), page.shape)
    statement = compiled(shape, lambda: _list(page, filters))
    values = {**CHILDREN.bind_values(filters), **page.values()}
    rows = await direct.fetch(principal, statement, values)
    rules = clinic_rules(rows[0])
    today = rules.today()
    found, cursor = page.cut([row for row in rows if row["id"] is not None])
    return [_body(row, rules, today) for row in found], cursor
