"""POST a session record in two statements: its references, then the record, its first kept
version and its audit event together (see `dmi_api.direct`).

The payload's rules are those of `services.session_records` (`new_record`), given what the first
statement found; the second writes the row that function built, so the body, the kept version
and the stored row are the session path's. The write commits durably whatever the pool's
setting for reads (`synchronous_commit` is set for its own transaction).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, NamedTuple

import orjson
from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql

from dmi_api.auth.principal import Principal
from dmi_api.direct.pool import DirectDb
from dmi_api.direct.statements import COMMON_PARAMETERS, STATEMENT_PREFIX, audit_cte
from dmi_api.errors import AuthenticationError
from dmi_api.models import Child, Practitioner, SessionRecord
from dmi_api.schemas.session_records import SessionRecordCreate
from dmi_api.services import session_records as service
from dmi_api.services.resources import reference_problem

RESOURCE = service.RESOURCE
_TABLE: Table = SessionRecord.__table__  # type: ignore[attr-defined]

_REFERENCES = (
    f"{STATEMENT_PREFIX}"
    " SELECT (SELECT birth_date FROM child"
    "   WHERE clinic_id = $2::uuid AND id = $7::uuid AND deleted_at IS NULL) AS birth_date,"
    " EXISTS (SELECT FROM practitioner"
    "   WHERE clinic_id = $2::uuid AND id = $8::uuid AND deleted_at IS NULL) AS practitioner,"
    " ARRAY(SELECT id FROM exercise"
    "   WHERE clinic_id = $2::uuid AND id = ANY($9::uuid[]) AND deleted_at IS NULL) AS exercises,"
    " (SELECT jsonb_object_agg(i.id, i.exercise_id)::text"
    "   FROM prescription_item AS i JOIN prescription AS p ON p.id = i.prescription_id"
    "   WHERE i.clinic_id = $2::uuid AND i.id = ANY($10::uuid[]) AND i.removed_at IS NULL"
    "   AND p.clinic_id = $2::uuid AND p.child_id = $7::uuid AND p.deleted_at IS NULL) AS items"
    " FROM auth"
)


_COLUMNS = [column.name for column in _TABLE.columns]
# JSON goes as text (the same on every connection, whatever its codecs) and is cast there.
_JSON_COLUMNS = frozenset(c.name for c in _TABLE.columns if isinstance(c.type, JSON))
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
_VALUES = ", ".join(
    f"${COMMON_PARAMETERS + n}::text::jsonb"
    if column.name in _JSON_COLUMNS
    else f"${COMMON_PARAMETERS + n}::{column.type.compile(dialect=_PG)}"
    for n, column in enumerate(_TABLE.columns, start=1)
)
_SNAPSHOT = f"${COMMON_PARAMETERS + len(_COLUMNS) + 1}::text::jsonb"
_AUDIT = audit_cte(
    action="create",
    resource_type=RESOURCE,
    source="saved",
    resource_id="saved.id",
    child_id="saved.child_id",
    outcome=201,
)
_INSERT = (
    f"{STATEMENT_PREFIX},"
    f" saved AS (INSERT INTO session_record ({', '.join(_COLUMNS)})"
    f" SELECT {_VALUES} FROM auth RETURNING id, child_id, version),"
    " kept AS (INSERT INTO resource_version"
    " (clinic_id, resource_type, resource_id, version, snapshot, recorded_at, client_id)"
    f" SELECT $2::uuid, '{RESOURCE}', saved.id, saved.version, {_SNAPSHOT}, now(), $1::uuid"
    " FROM saved),"
    f" {_AUDIT}"
    " SELECT set_config('synchronous_commit', 'on', true) AS durable, saved.id"
    " FROM auth LEFT JOIN saved ON true"
)


class Created(NamedTuple):
    """The new record's body, id and version."""

    body: dict[str, Any]
    id: uuid.UUID
    version: int


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


async def create(direct: DirectDb, principal: Principal, payload: SessionRecordCreate) -> Created:
    """Record a session (401: the client is no longer active; 422: what is wrong with it)."""
    fresh = service.fresh_entries(payload.exercises)
    item_ids = sorted({e.prescription_item_id for _, e in fresh} - {None})  # type: ignore[type-var]
    references = [
        payload.child_id,
        payload.practitioner_id,
        sorted({entry.exercise_id for _, entry in fresh}),
        item_ids,
    ]
    rows = await direct.fetch(principal, _REFERENCES, references)
    if not rows:
        raise AuthenticationError()
    found = rows[0]
    birth_date: date | None = found["birth_date"]
    errors = [] if birth_date is not None else [reference_problem(Child, "#/child_id")]
    if payload.practitioner_id is not None and not found["practitioner"]:
        errors.append(reference_problem(Practitioner, "#/practitioner_id"))
    exercise_errors: list[dict[str, str]] = []
    if birth_date is not None:
        items = orjson.loads(found["items"]) if found["items"] else {}
        exercise_errors = service.exercise_problems(
            fresh,
            set(found["exercises"]),
            {uuid.UUID(item): uuid.UUID(exercise) for item, exercise in items.items()},
        )
    row = service.new_record(
        payload,
        clinic_id=principal.clinic_id,
        reference_errors=errors,
        birth_date=birth_date,
        exercise_errors=exercise_errors,
    )
    body = service.snapshot(row, [])
    values = [
        _json_text(getattr(row, name)) if name in _JSON_COLUMNS else getattr(row, name)
        for name in _COLUMNS
    ]
    rows = await direct.fetch(principal, _INSERT, [*values, _json_text(body)])
    if not rows or rows[0]["id"] is None:
        raise AuthenticationError()  # disabled between the two statements: nothing was written
    return Created(body, row.id, row.version)
