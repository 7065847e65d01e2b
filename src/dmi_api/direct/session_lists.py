"""List session records (a clinic's, or one child's) as one statement each.

The page, its amendments, the child's check (nested list) and the audit event are one
statement; the bodies are `services.session_record_views.plain_view`'s (tests/records/
test_direct_session_lists.py compares the two paths on the same rows and cursors).
"""

from __future__ import annotations

from typing import Any

import orjson

from dmi_api.auth.principal import Principal
from dmi_api.direct.bound_db import DirectDb
from dmi_api.direct.pages import KeysetPage, Parameters
from dmi_api.direct.statements import STATEMENT_PREFIX, audit_cte
from dmi_api.models import Child
from dmi_api.pagination import CursorCodec
from dmi_api.schemas.session_records import AmendmentPublic, SessionRecordPublic
from dmi_api.services.resources import ListQuery, not_found
from dmi_api.services.session_record_queries import SessionFilters
from dmi_api.services.session_record_rules import RESOURCE
from dmi_api.services.session_record_views import stored_views

_FIELDS = tuple(SessionRecordPublic.model_fields)
_AMENDMENT_FIELDS = tuple(AmendmentPublic.model_fields)
_AMENDMENTS = (
    f"ARRAY(SELECT ROW({', '.join(f'a.{name}' for name in _AMENDMENT_FIELDS)})"
    " FROM session_amendment AS a"
    " WHERE a.clinic_id = $2::uuid AND a.session_record_id = s.id"
    " ORDER BY a.created_at, a.id)"
)
# Every field of the body in its order: JSON as its text (parsed to pick the API's fields),
# the end computed, the amendments as an array of rows.
_COMPUTED = {
    "exercises": "exercises::text",
    "notes": "notes::text",
    "ended_at": "started_at + duration_minutes * interval '1 minute'",
    "amendments": _AMENDMENTS,
}
_COLUMNS = ", ".join(f"{_COMPUTED.get(name, name)} AS {name}" for name in _FIELDS)
# Optional filters: (name, column and operator, type); the child is the nested list's own.
_FILTERS = (
    ("practitioner_id", "practitioner_id =", "uuid"),
    ("session_type", "type =", "text"),
    ("started_from", "started_at >=", "timestamptz"),
    ("started_to", "started_at <", "timestamptz"),
)


def _body(record: Any) -> dict[str, Any]:
    # The record's first columns are the body's fields (zip stops there).
    body = dict(zip(_FIELDS, record))  # noqa: B905
    body["exercises"], body["notes"] = stored_views(
        orjson.loads(body["exercises"]), orjson.loads(body["notes"])
    )
    body["amendments"] = [dict(zip(_AMENDMENT_FIELDS, a)) for a in body["amendments"]]  # noqa: B905
    return body


async def list_records(
    direct: DirectDb,
    principal: Principal,
    *,
    query: ListQuery,
    codec: CursorCodec,
    filters: SessionFilters,
    nested: bool,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of records with their amendments, as `services.session_record_queries.list_public`.

    `nested`: the list of the child `filters.child_id`, 404 unless it is the clinic's and live.
    """
    page = KeysetPage(query, codec, filters.context())
    params = Parameters()
    child = "NULL" if filters.child_id is None else params.add(filters.child_id, "uuid")
    conditions = ["clinic_id = $2::uuid"]
    if nested:
        conditions.append("child_id = kid.id")
    elif filters.child_id is not None:
        conditions.append(f"child_id = {child}")
    for name, operator, cast in _FILTERS:
        if (value := getattr(filters, name)) is not None:
            conditions.append(f"{operator} {params.add(value, cast)}")
    conditions += page.conditions(params)
    if nested:
        # The child is checked in the statement; its list is audited only if it is there.
        audit = audit_cte(
            action="list",
            resource_type=RESOURCE,
            source="kid",
            resource_id="NULL",
            child_id="kid.id",
        )
        source = (
            f" kid AS (SELECT id FROM child WHERE clinic_id = $2::uuid AND id = {child}"
            f" AND deleted_at IS NULL AND EXISTS (SELECT FROM auth)), {audit}"
            " SELECT page.*, kid.id AS found_child FROM auth LEFT JOIN kid ON true"
        )
    else:
        audit = audit_cte(
            action="list", resource_type=RESOURCE, source="auth", resource_id="NULL", child_id=child
        )
        source = f" {audit} SELECT page.* FROM auth"
    sql = (
        f"{STATEMENT_PREFIX},{source}"
        f" LEFT JOIN LATERAL (SELECT {_COLUMNS} FROM session_record AS s"
        f" WHERE {' AND '.join(conditions)} {page.order()} {page.limit()}) AS page ON true"
        f" {page.order('page')}"
    )
    rows = await direct.fetch(principal, sql, params.values)
    if nested and rows[0]["found_child"] is None:
        raise not_found(Child)
    found, cursor = page.cut([row for row in rows if row["id"] is not None])
    return [_body(row) for row in found], cursor
