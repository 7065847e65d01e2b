"""POST a session record: in one statement when it is valid, else in two that say why.

The payload's rules are `services.session_record_rules.new_record`'s, asked once. The row is built
first as if every reference were right, and one statement writes it, with its first kept version
and its audit event, only if the database agrees: the child is live and born by the session's
date, the practitioner (if any) and every exercise live, every prescription item this child's
and for the exercise it is named with. Otherwise (or when the payload alone is wrong) two
statements take over: the references are read, the rules report every problem (422) or, if the
references changed in between, the row is written. Either way the body, the kept version and
the stored row are the session path's. A write commits durably whatever the pool's setting for
reads (`synchronous_commit` is set for its own transaction).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, NamedTuple

import orjson
from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql

from dmi_api.auth.principal import Principal
from dmi_api.direct.bound_db import DirectDb
from dmi_api.direct.statements import COMMON_PARAMETERS, STATEMENT_PREFIX, audit_cte
from dmi_api.errors import AuthenticationError
from dmi_api.models import Child, Practitioner, SessionRecord
from dmi_api.schemas.session_records import SessionRecordCreate
from dmi_api.services.resources import not_found, reference_problem
from dmi_api.services.session_record_rules import (
    RESOURCE,
    Found,
    NewRecord,
    latest_birth_date,
    new_record,
)
from dmi_api.services.session_record_views import snapshot

_TABLE: Table = SessionRecord.__table__  # type: ignore[attr-defined]


def _child_items(ids: str) -> str:
    """Of the prescription items `ids` (a uuid[] parameter), those live on a live prescription
    of the child $7, as a jsonb object item id → exercise id (NULL: none)."""
    return (
        "(SELECT jsonb_object_agg(i.id, i.exercise_id)"
        " FROM prescription_item AS i JOIN prescription AS p ON p.id = i.prescription_id"
        f" WHERE i.clinic_id = $2::uuid AND i.id = ANY({ids}::uuid[]) AND i.removed_at IS NULL"
        " AND p.clinic_id = $2::uuid AND p.child_id = $7::uuid AND p.deleted_at IS NULL)"
    )


_REFERENCES = (
    f"{STATEMENT_PREFIX}"
    " SELECT (SELECT birth_date FROM child"
    "   WHERE clinic_id = $2::uuid AND id = $7::uuid AND deleted_at IS NULL) AS birth_date,"
    " EXISTS (SELECT FROM practitioner"
    "   WHERE clinic_id = $2::uuid AND id = $8::uuid AND deleted_at IS NULL) AS practitioner,"
    " ARRAY(SELECT id FROM exercise"
    "   WHERE clinic_id = $2::uuid AND id = ANY($9::uuid[]) AND deleted_at IS NULL) AS exercises,"
    f" {_child_items('$10')}::text AS items"
    " FROM auth"
)


_COLUMNS = [column.name for column in _TABLE.columns]
# JSON goes as text (the same on every connection, whatever its codecs) and is cast there.
_JSON_COLUMNS = frozenset(c.name for c in _TABLE.columns if isinstance(c.type, JSON))
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def _values(first: int) -> str:
    """The row's columns as parameters $first.. (then the kept snapshot's)."""
    return ", ".join(
        f"${n}::text::json"
        if column.name in _JSON_COLUMNS
        else f"${n}::{column.type.compile(dialect=_PG)}"
        for n, column in enumerate(_TABLE.columns, start=first)
    )


def _insert(source: str, first: int) -> str:
    """The rest of an INSERT statement: the row from `first` on (once per row of `source`),
    its first kept version and its audit event; `durable` and the new id (NULL: none)."""
    snapshot = f"${first + len(_COLUMNS)}::text::json"
    audit = audit_cte(
        action="create",
        resource_type=RESOURCE,
        source="saved",
        resource_id="saved.id",
        child_id="saved.child_id",
        outcome=201,
    )
    return (
        f" saved AS (INSERT INTO session_record ({', '.join(_COLUMNS)})"
        f" SELECT {_values(first)} FROM {source} RETURNING id, child_id, version),"
        " kept AS (INSERT INTO resource_version"
        " (clinic_id, resource_type, resource_id, version, snapshot, recorded_at, client_id)"
        f" SELECT $2::uuid, '{RESOURCE}', saved.id, saved.version, {snapshot}, now(), $1::uuid"
        " FROM saved),"
        f" {audit}"
        " SELECT set_config('synchronous_commit', 'on', true) AS durable, saved.id"
        " FROM auth LEFT JOIN saved ON true"
    )


# After the references were read and the rules found nothing wrong.
_INSERT = f"{STATEMENT_PREFIX},{_insert('auth', COMMON_PARAMETERS + 1)}"
# All at once: `agreed` has auth's row when the database agrees with what the row assumes.
_CHECKED_INSERT = (
    f"{STATEMENT_PREFIX},"
    " agreed AS (SELECT FROM auth WHERE EXISTS (SELECT FROM child"
    "   WHERE clinic_id = $2::uuid AND id = $7::uuid AND deleted_at IS NULL"
    "   AND birth_date <= $8::date)"
    " AND ($9::uuid IS NULL OR EXISTS (SELECT FROM practitioner"
    "   WHERE clinic_id = $2::uuid AND id = $9::uuid AND deleted_at IS NULL))"
    " AND (SELECT count(*) FROM exercise"
    "   WHERE clinic_id = $2::uuid AND id = ANY($10::uuid[]) AND deleted_at IS NULL)"
    "   = cardinality($10::uuid[])"
    f" AND coalesce({_child_items('$11')}, '{{}}'::jsonb) = $12::text::jsonb),"
    f"{_insert('agreed', COMMON_PARAMETERS + 7)}"
)


class Created(NamedTuple):
    """The new record's body, id and version."""

    body: dict[str, Any]
    id: uuid.UUID
    version: int


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _row_values(row: SessionRecord) -> list[Any]:
    """The row's columns, as `_insert` takes them."""
    return [
        _json_text(getattr(row, name)) if name in _JSON_COLUMNS else getattr(row, name)
        for name in _COLUMNS
    ]


async def _write(
    direct: DirectDb, principal: Principal, sql: str, checks: list[Any], values: dict[str, Any]
) -> Created | None:
    """Run an insert of a row of `values`; None when its checks did not hold (401: the client
    is not active)."""
    row = _unsaved(values)
    body = snapshot(row, [])
    rows = await direct.fetch(principal, sql, [*checks, *_row_values(row), _json_text(body)])
    return Created(body, row.id, row.version) if rows[0]["id"] is not None else None


def _unsaved(values: dict[str, Any]) -> SessionRecord:
    """The session path's row of these values, without the ORM's instrumentation: it is
    written here, never added to a session (the same values and column defaults, at a third
    of the cost)."""
    return SessionRecord.model_construct(**values)


async def create(
    direct: DirectDb,
    principal: Principal,
    payload: SessionRecordCreate,
    *,
    child_in_path: bool = False,
) -> Created:
    """Record a session (401: the client is no longer active; 422: what is wrong with it;
    `child_in_path`: the child was named by the URL, so no such live child is 404)."""
    new = new_record(payload, principal.clinic_id)
    if new.values is not None and new.assumed_items is not None:
        checks = [
            payload.child_id,
            latest_birth_date(payload.started_at),
            payload.practitioner_id,
            new.exercise_ids,
            sorted(new.assumed_items),
            _json_text(new.assumed_items),
        ]
        created = await _write(direct, principal, _CHECKED_INSERT, checks, new.values)
        if created is not None:
            return created
    return await _create_checked(direct, principal, new, child_in_path)


async def _create_checked(
    direct: DirectDb, principal: Principal, new: NewRecord, child_in_path: bool
) -> Created:
    """Read the references, apply the rules to what was found, then write."""
    payload = new.payload
    references = [payload.child_id, payload.practitioner_id, new.exercise_ids, new.item_ids]
    found = (await direct.fetch(principal, _REFERENCES, references))[0]
    birth_date: date | None = found["birth_date"]
    if birth_date is None and child_in_path:
        raise not_found(Child)  # as the session path's lookup of the path's child
    errors = [] if birth_date is not None else [reference_problem(Child, "#/child_id")]
    if payload.practitioner_id is not None and not found["practitioner"]:
        errors.append(reference_problem(Practitioner, "#/practitioner_id"))
    items = orjson.loads(found["items"]) if found["items"] else {}
    values = new.checked(
        Found(
            birth_date,
            errors,
            set(found["exercises"]),
            {uuid.UUID(item): uuid.UUID(exercise) for item, exercise in items.items()},
        )
    )
    created = await _write(direct, principal, _INSERT, [], values)
    if created is None:
        raise AuthenticationError()  # disabled between the two statements: nothing was written
    return created
