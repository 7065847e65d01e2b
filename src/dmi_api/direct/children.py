"""GET one child and list children as one statement each (see `dmi_api.direct`)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, NamedTuple

import orjson

from dmi_api.auth.principal import Principal
from dmi_api.direct.bound_db import DirectDb
from dmi_api.direct.pages import KeysetPage, Parameters
from dmi_api.direct.statements import RULE_COLUMNS, STATEMENT_PREFIX, audit_cte, clinic_rules
from dmi_api.models import Child
from dmi_api.models.columns import utcnow
from dmi_api.pagination import CursorCodec
from dmi_api.rule_values import RuleSettings
from dmi_api.schemas.children import ChildPublic
from dmi_api.services import children as child_service
from dmi_api.services import rules_in_effect
from dmi_api.services.resources import ListQuery, not_found

RESOURCE = child_service.RESOURCE
_JSON_FIELDS = ("diagnoses", "caregivers")
_FIELDS = tuple(name for name in ChildPublic.model_fields if name != "age")
# JSON columns come as their text, passed through to the response unparsed.
_COLUMNS = ", ".join(
    f"{name}::text AS {name}" if name in _JSON_FIELDS else name for name in _FIELDS
)

_GET = (
    f"{STATEMENT_PREFIX},"
    f" found AS (SELECT {_COLUMNS} FROM child"
    " WHERE clinic_id = $2::uuid AND id = $7::uuid AND deleted_at IS NULL"
    " AND EXISTS (SELECT FROM auth)),"
    f" {audit_cte(action='read', resource_type=RESOURCE, source='found', resource_id='found.id')}"
    # The child's columns first, in `_FIELDS` order (`_body` zips them).
    f" SELECT found.*, {RULE_COLUMNS} FROM auth LEFT JOIN found ON true"
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
        body[name] = orjson.Fragment(body[name])
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
    rows = await direct.fetch(principal, _GET, [child_id])
    record = rows[0]
    if record["id"] is None:
        raise not_found(Child)
    return ChildRead(_body(record, clinic_rules(record), utcnow().date()), record["version"])


# Optional filters: (name, column and operator, type).
_FILTERS = (
    ("status", "status =", "text"),
    ("external_id", "external_id =", "text"),
    ("birth_date_from", "birth_date >=", "date"),
    ("birth_date_to", "birth_date <", "date"),
)


async def list_children(
    direct: DirectDb,
    principal: Principal,
    *,
    query: ListQuery,
    codec: CursorCodec,
    filters: child_service.ChildFilters,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the clinic's children: `services.children.list_rows` and its bodies, in one
    statement (tests/records/test_direct_reads.py compares the two on the same rows)."""
    page = KeysetPage(query, codec, child_service.list_context(filters))
    params = Parameters()
    conditions = ["clinic_id = $2::uuid"]
    for name, operator, cast in _FILTERS:
        if (value := getattr(filters, name)) is not None:
            conditions.append(f"{operator} {params.add(value, cast)}")
    conditions += page.conditions(params)
    sql = (
        f"{STATEMENT_PREFIX},"
        f" {audit_cte(action='list', resource_type=RESOURCE, source='auth', resource_id='NULL')}"
        f" SELECT page.*, {RULE_COLUMNS} FROM auth LEFT JOIN LATERAL (SELECT {_COLUMNS} FROM child"
        f" WHERE {' AND '.join(conditions)} {page.order()} {page.limit()}) AS page ON true"
        f" {page.order('page')}"
    )
    rows = await direct.fetch(principal, sql, params.values)
    rules, today = clinic_rules(rows[0]), utcnow().date()
    found, cursor = page.cut([row for row in rows if row["id"] is not None])
    return [_body(row, rules, today) for row in found], cursor
