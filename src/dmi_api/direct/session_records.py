"""POST a session record: in one statement when it is valid, else in two that say why.

The payload's rules are `services.session_record_rules.new_record`'s, asked once. The row is built
first as if every reference were right, and one statement writes it, with its first kept version
and its audit event, only if the database agrees: the child is live and born by the session's
date, the practitioner (if any) and every exercise live, every prescription item this child's
and for the exercise it is named with. Otherwise (or when the payload alone is wrong) two
statements take over: the references are read, the rules report every problem (422) or, if the
references changed in between, the row is written. Either way the body, the kept version, the
audit event (both from `change_rows`, as on the session path) and the stored row are the
session path's. A write commits durably whatever the pool's setting for
reads (`synchronous_commit` is set for its own transaction).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    ARRAY,
    JSON,
    Date,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from dmi_api.auth.principal import Principal
from dmi_api.change_rows import Change, change_rows
from dmi_api.direct.bound_db import DirectDb
from dmi_api.direct.statements import (
    CLINIC,
    Compiled,
    auth_cte,
    compiled,
    statement_actor,
)
from dmi_api.errors import AuthenticationError
from dmi_api.models import (
    Child,
    Exercise,
    Practitioner,
    Prescription,
    PrescriptionItem,
    ResourceVersion,
    SessionRecord,
)
from dmi_api.queries.predicates import (
    live,
    live_item_of_live_prescription,
    live_row,
    owned_by,
    table_of,
)
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
_T = {
    name: table_of(model)
    for name, model in (
        ("child", Child),
        ("practitioner", Practitioner),
        ("exercise", Exercise),
        ("item", PrescriptionItem),
        ("prescription", Prescription),
    )
}
_VERSIONS: Table = ResourceVersion.__table__  # type: ignore[attr-defined]
_COLUMNS = [column.name for column in _TABLE.columns]
# JSON goes as text (the same on every connection, whatever its codecs) and is cast there.
_JSON_COLUMNS = frozenset(c.name for c in _TABLE.columns if isinstance(c.type, JSON))
_UUIDS = ARRAY(Uuid())


def _param(name: str, type_: Any) -> Any:
    return bindparam(name, type_=type_)


def _child_items(ids: str) -> Any:
    """Of the prescription items `ids`, those live on a live prescription of the child, as a
    jsonb object item id → exercise id (NULL: none)."""
    i, p = _T["item"], _T["prescription"]
    return (
        select(func.jsonb_object_agg(i.c.id, i.c.exercise_id))
        .where(
            live_item_of_live_prescription(i, p, CLINIC),
            i.c.id == func.any(_param(ids, _UUIDS)),
            p.c.child_id == _CHILD,
        )
        .scalar_subquery()
    )


_CHILD = bindparam("child_id", type_=Uuid())
_PRACTITIONER = bindparam("practitioner_id", type_=Uuid())


def _references() -> Any:
    auth, t = auth_cte(), _T
    exercises = select(t["exercise"].c.id).where(
        owned_by(t["exercise"], CLINIC),
        t["exercise"].c.id == func.any(_param("exercise_ids", _UUIDS)),
        live(t["exercise"]),
    )
    return select(
        select(t["child"].c.birth_date)
        .where(live_row(t["child"], CLINIC, _CHILD))
        .scalar_subquery()
        .label("birth_date"),
        exists().where(live_row(t["practitioner"], CLINIC, _PRACTITIONER)).label("practitioner"),
        func.array(exercises.scalar_subquery()).label("exercises"),
        cast(_child_items("item_ids"), Text).label("items"),
    ).select_from(auth)


def _insert(auth: Any, source: Any) -> Any:
    """The INSERT of the row (once per row of `source`), its first kept version and its audit
    event; `durable` and the new id (NULL: none)."""
    row = select(
        *(
            _param(f"v_{c.name}", Text()).cast(c.type)
            if c.name in _JSON_COLUMNS
            else _param(f"v_{c.name}", c.type)
            for c in _TABLE.columns
        )
    ).select_from(source)
    saved = (
        insert(_TABLE)
        .from_select(_COLUMNS, row)
        .returning(_TABLE.c.id, _TABLE.c.child_id, _TABLE.c.version)
        .cte("saved")
    )
    change = Change(
        literal(RESOURCE),
        saved.c.id,
        saved.c.version,
        _param("snapshot", Text()).cast(JSON),
        saved.c.child_id,
        literal("create"),
        literal(201),
        literal(f"{RESOURCE}.created"),
        cast(literal("[]"), JSON),  # a first version: nothing changed, everything is new
    )
    # The same rows as the session path's `record_change` writes, from the saved row.
    written = [
        insert(table).from_select(list(values), select(*values.values()).select_from(saved))
        for table, values in change_rows(change, statement_actor())
    ]
    statement = select(
        func.set_config("synchronous_commit", "on", true()).label("durable"), saved.c.id
    ).select_from(auth.outerjoin(saved, true()))
    for index, write in enumerate(written):
        statement = statement.add_cte(write.cte(f"written_{index}"))
    return statement


def _unchecked_insert() -> Any:
    """After the references were read and the rules found nothing wrong."""
    auth = auth_cte()
    return _insert(auth, auth)


def _checked_insert() -> Any:
    """All at once: `agreed` has auth's row when the database agrees with what the row
    assumes (the child live and born by the session's date, the practitioner and every
    exercise live, every item this child's and for the exercise it is named with)."""
    auth, t = auth_cte(), _T
    exercises = _param("exercise_ids", _UUIDS)
    agreed = (
        select(literal(1).label("agreed"))
        .select_from(auth)
        .where(
            exists().where(
                live_row(t["child"], CLINIC, _CHILD),
                t["child"].c.birth_date <= _param("born_by", Date()),
            ),
            or_(
                _PRACTITIONER.is_(None),
                exists().where(live_row(t["practitioner"], CLINIC, _PRACTITIONER)),
            ),
            select(func.count())
            .select_from(t["exercise"])
            .where(
                owned_by(t["exercise"], CLINIC),
                t["exercise"].c.id == func.any(exercises),
                live(t["exercise"]),
            )
            .scalar_subquery()
            == func.cardinality(exercises),
            func.coalesce(_child_items("item_ids"), literal_column("'{}'::jsonb"))
            == _param("assumed_items", Text()).cast(JSONB),
        )
        .cte("agreed")
    )
    return _insert(auth, agreed)


class Created(NamedTuple):
    """The new record's body, id and version."""

    body: dict[str, Any]
    id: uuid.UUID
    version: int


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _row_values(row: SessionRecord) -> dict[str, Any]:
    """The row's columns, as `_insert` takes them."""
    return {
        f"v_{name}": _json_text(getattr(row, name)) if name in _JSON_COLUMNS else getattr(row, name)
        for name in _COLUMNS
    }


async def _write(
    direct: DirectDb,
    principal: Principal,
    statement: Compiled,
    checks: dict[str, Any],
    values: dict[str, Any],
) -> Created | None:
    """Run an insert of a row of `values`; None when its checks did not hold (401: the client
    is not active)."""
    row = _unsaved(values)
    body = snapshot(row, [])
    given = {**checks, **_row_values(row), "snapshot": _json_text(body)}
    rows = await direct.fetch(principal, statement, given)
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
        checks = {
            "child_id": payload.child_id,
            "born_by": latest_birth_date(payload.started_at),
            "practitioner_id": payload.practitioner_id,
            "exercise_ids": new.exercise_ids,
            "item_ids": sorted(new.assumed_items),
            "assumed_items": _json_text(new.assumed_items),
        }
        statement = compiled("session_record.checked_insert", _checked_insert)
        created = await _write(direct, principal, statement, checks, new.values)
        if created is not None:
            return created
    return await _create_checked(direct, principal, new, child_in_path)


async def _create_checked(
    direct: DirectDb, principal: Principal, new: NewRecord, child_in_path: bool
) -> Created:
    """Read the references, apply the rules to what was found, then write."""
    payload = new.payload
    references = {
        "child_id": payload.child_id,
        "practitioner_id": payload.practitioner_id,
        "exercise_ids": new.exercise_ids,
        "item_ids": new.item_ids,
    }
    statement = compiled("session_record.references", _references)
    found = (await direct.fetch(principal, statement, references))[0]
    birth_date: date | None = found["birth_date"]
    if birth_date is None and child_in_path:
        raise not_found(Child)  # as the session path's lookup of the path's child
    errors = (
        [] if birth_date is not None else [reference_problem(Child, "#/child_id", payload.child_id)]
    )
    if payload.practitioner_id is not None and not found["practitioner"]:
        errors.append(reference_problem(Practitioner, "#/practitioner_id", payload.practitioner_id))
    items = orjson.loads(found["items"]) if found["items"] else {}
    values = new.checked(
        Found(
            birth_date,
            errors,
            set(found["exercises"]),
            {uuid.UUID(item): uuid.UUID(exercise) for item, exercise in items.items()},
        )
    )
    statement = compiled("session_record.insert", _unchecked_insert)
    created = await _write(direct, principal, statement, {}, values)
    if created is None:
        raise AuthenticationError()  # disabled between the two statements: nothing was written
    return created
