"""Session records: what was done in a session, signed once, then only amended."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col

from dmi_api.errors import ConflictError, ValidationProblemError
from dmi_api.models import (
    Child,
    Exercise,
    Practitioner,
    Prescription,
    PrescriptionItem,
    SessionAmendment,
    SessionRecord,
)
from dmi_api.models.columns import utcnow
from dmi_api.pagination import CursorCodec
from dmi_api.schemas.base import plain
from dmi_api.schemas.session_records import (
    MAX_DURATION,
    REQUIRED,
    AmendmentCreate,
    AmendmentPublic,
    PerformedExercise,
    PerformedExercisePublic,
    SessionRecordCreate,
    SessionRecordPatch,
    SessionRecordPublic,
    SignRequest,
    SoapNotesPublic,
)
from dmi_api.services.history import record_version
from dmi_api.services.resources import (
    ListQuery,
    find_reference,
    get_live,
    list_page,
    soft_delete,
    touch,
)
from dmi_api.tenancy import Tenant

RESOURCE = "session_record"
AMENDMENT = "session_amendment"
Errors = list[dict[str, str]]
Amendments = list[SessionAmendment]
_DERIVED = frozenset({"ended_at", "amendments"})


class SessionSignedError(ConflictError):
    """A signed record is never changed or deleted; add an amendment instead."""

    code = "session_signed"


class AlreadySignedError(ConflictError):
    """A record is signed once."""

    code = "already_signed"


class NotSignedError(ConflictError):
    """Amendments are for signed records; an unsigned one is simply changed."""

    code = "session_not_signed"


def _error(pointer: str, detail: str, code: str) -> dict[str, str]:
    return {"location": "body", "pointer": pointer, "detail": detail, "code": code}


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without an offset; they were stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_public(row: SessionRecord, amendments: Sequence[SessionAmendment]) -> SessionRecordPublic:
    """The API view of a record with its amendments (oldest first)."""
    started = _aware(row.started_at)
    fields = {
        name: getattr(row, name)
        for name in SessionRecordPublic.model_fields
        if name not in _DERIVED
    }
    fields.update(
        started_at=started,
        ended_at=started + timedelta(minutes=row.duration_minutes),
        amendments=[
            {name: getattr(a, name) for name in ("id", "author_id", "reason", "text", "created_at")}
            for a in amendments
        ],
    )
    return SessionRecordPublic.model_validate(fields)


_EXERCISE_FIELDS = tuple(PerformedExercisePublic.model_fields)
_NOTE_FIELDS = tuple(SoapNotesPublic.model_fields)
_AMENDMENT_FIELDS = tuple(AmendmentPublic.model_fields)


def stored_views(
    exercises: list[dict[str, Any]], notes: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The stored exercises and notes as the API shows them (its fields, in its order)."""
    return (
        [{k: done.get(k) for k in _EXERCISE_FIELDS} for done in exercises],
        {k: notes.get(k) for k in _NOTE_FIELDS},
    )


def plain_view(row: SessionRecord, amendments: Sequence[SessionAmendment]) -> dict[str, Any]:
    """`to_public` as plain data, built without validating the stored record again (lists)."""
    started = _aware(row.started_at)
    exercises, notes = stored_views(row.exercises, row.notes)
    return plain(
        row,
        SessionRecordPublic,
        started_at=started,
        ended_at=started + timedelta(minutes=row.duration_minutes),
        exercises=exercises,
        notes=notes,
        amendments=[{k: getattr(a, k) for k in _AMENDMENT_FIELDS} for a in amendments],
    )


def _keep(
    tenant: Tenant, row: SessionRecord, amendments: Amendments, client_id: uuid.UUID
) -> dict[str, Any]:
    """Keep this version; returns it as the API shows it (the response body, validated once)."""
    body = snapshot(row, amendments)
    record_version(
        tenant,
        resource_type=RESOURCE,
        resource_id=row.id,
        version=row.version,
        snapshot=body,
        client_id=client_id,
    )
    return body


async def _ref(
    tenant: Tenant, model: type[Child] | type[Practitioner], row_id: uuid.UUID | None, pointer: str
) -> tuple[Errors, Any]:
    # Collected rather than raised, so that one answer lists every bad field.
    try:
        return [], await find_reference(tenant, model, row_id, pointer=pointer)
    except ValidationProblemError as problem:
        return list(problem.extensions["errors"]), None


def _duration(
    started: datetime, duration: int | None, ended: datetime | None, *, current: int | None
) -> tuple[Errors, int | None]:
    """The duration from `duration_minutes` or `ended_at` (one of them), else the current one."""
    if duration is not None and ended is not None:
        detail = "Send duration_minutes or ended_at, not both."
        return [_error("#/ended_at", detail, "conflicting_fields")], None
    if ended is None:
        if duration is None and current is None:
            detail = "Send duration_minutes or ended_at."
            return [_error("#/duration_minutes", detail, "missing")], None
        return [], duration if duration is not None else current
    if ended <= started:
        return [_error("#/ended_at", "The end must be after the start.", "end_before_start")], None
    minutes = round((ended - started).total_seconds() / 60)
    if not 1 <= minutes <= MAX_DURATION:
        detail = f"The session must last 1 to {MAX_DURATION} minutes."
        return [_error("#/ended_at", detail, "duration_out_of_range")], None
    return [], minutes


def _entry_key(exercise_id: Any, item_id: Any) -> tuple[str, str | None]:
    return str(exercise_id), str(item_id) if item_id is not None else None


async def _exercise_errors(
    tenant: Tenant,
    child_id: uuid.UUID,
    entries: Sequence[PerformedExercise],
    current: Sequence[dict[str, Any]] = (),
) -> Errors:
    """Unknown exercises and items not of this child's prescriptions: one query for each kind.

    An entry kept as it was is not re-checked: retiring an exercise or a prescription item must
    not make the records that used it uneditable.
    """
    fresh = fresh_entries(entries, current)
    exercise_ids = {entry.exercise_id for _, entry in fresh}
    item_ids = {entry.prescription_item_id for _, entry in fresh} - {None}
    live_exercises: set[uuid.UUID] = set()
    if exercise_ids:
        statement = tenant.select(Exercise).where(
            col(Exercise.id).in_(exercise_ids), col(Exercise.deleted_at).is_(None)
        )
        live_exercises = {row.id for row in (await tenant.db.execute(statement)).scalars()}
    items: dict[uuid.UUID, uuid.UUID] = {}
    if item_ids:
        statement_items = (
            tenant.select(PrescriptionItem)
            .join(Prescription, col(Prescription.id) == col(PrescriptionItem.prescription_id))
            .where(
                col(PrescriptionItem.id).in_(item_ids),
                col(PrescriptionItem.removed_at).is_(None),
                col(Prescription.clinic_id) == tenant.clinic_id,
                col(Prescription.child_id) == child_id,
                col(Prescription.deleted_at).is_(None),
            )
        )
        items = {
            row.id: row.exercise_id for row in (await tenant.db.execute(statement_items)).scalars()
        }
    return exercise_problems(fresh, live_exercises, items)


def fresh_entries(
    entries: Sequence[PerformedExercise], current: Sequence[dict[str, Any]] = ()
) -> list[tuple[int, PerformedExercise]]:
    """The entries to check (with their index): those not kept as they were."""
    kept = {_entry_key(e.get("exercise_id"), e.get("prescription_item_id")) for e in current}
    return [
        (index, entry)
        for index, entry in enumerate(entries)
        if _entry_key(entry.exercise_id, entry.prescription_item_id) not in kept
    ]


def exercise_problems(
    fresh: Sequence[tuple[int, PerformedExercise]],
    live_exercises: set[uuid.UUID],
    items: dict[uuid.UUID, uuid.UUID],
) -> Errors:
    """Entries naming an exercise that is not live, or a prescription item that is not this
    child's (`items`: live item id → its exercise)."""
    errors: Errors = []
    for index, entry in fresh:
        if entry.exercise_id not in live_exercises:
            detail = "No such exercise in this clinic."
            errors.append(_error(f"#/exercises/{index}/exercise_id", detail, "reference_not_found"))
        item_id = entry.prescription_item_id
        if item_id is None:
            continue
        pointer = f"#/exercises/{index}/prescription_item_id"
        if item_id not in items:
            detail = "No such prescription item for this child."
            errors.append(_error(pointer, detail, "reference_not_found"))
        elif items[item_id] != entry.exercise_id:
            detail = "The prescription item is for another exercise."
            errors.append(_error(pointer, detail, "exercise_mismatch"))
    return errors


def _practitioner_rule(session_type: str, practitioner_id: uuid.UUID | None) -> Errors:
    if practitioner_id is None and session_type != "home_practice":
        detail = "A practitioner is required unless the type is home_practice."
        return [_error("#/practitioner_id", detail, "missing")]
    return []


def started_columns(started: datetime) -> dict[str, Any]:
    """`started_at` as stored: the instant in UTC (range filters compare instants on every
    backend) and the UTC offset the client wrote it with, in minutes (its local date)."""
    offset = started.utcoffset()
    assert offset is not None, "the schema accepts only aware date-times"
    return {
        "started_at": started.astimezone(UTC),
        "started_at_utc_offset_minutes": round(offset.total_seconds() / 60),
    }


def latest_birth_date(started: datetime) -> date:
    """The latest birth date of a child who may have a session starting at `started`: its
    UTC date (a session never starts before the child's birth day)."""
    return started.astimezone(UTC).date()


def _before_birth(birth_date: date | None, started: datetime) -> Errors:
    if birth_date is not None and birth_date > latest_birth_date(started):
        detail = "The session cannot start before the child's birth."
        return [_error("#/started_at", detail, "before_birth")]
    return []


def _exercise_rows(entries: Sequence[PerformedExercise]) -> list[dict[str, Any]]:
    return [entry.model_dump(mode="json") for entry in entries]


async def create(
    tenant: Tenant, *, payload: SessionRecordCreate, client_id: uuid.UUID
) -> tuple[SessionRecord, dict[str, Any]]:
    """Add a record with all its exercises, or nothing; the row and its JSON body."""
    errors, child = await _ref(tenant, Child, payload.child_id, "#/child_id")
    more, _ = await _ref(tenant, Practitioner, payload.practitioner_id, "#/practitioner_id")
    exercise_errors = (
        await _exercise_errors(tenant, child.id, payload.exercises) if child is not None else []
    )
    row = new_record(
        payload,
        clinic_id=tenant.clinic_id,
        reference_errors=errors + more,
        birth_date=child.birth_date if child is not None else None,
        exercise_errors=exercise_errors,
    )
    tenant.add(row)
    await tenant.db.flush()
    return row, _keep(tenant, row, [], client_id)


def new_record(
    payload: SessionRecordCreate,
    *,
    clinic_id: uuid.UUID,
    reference_errors: Errors,
    birth_date: date | None,
    exercise_errors: Errors,
) -> SessionRecord:
    """The new record's row (unsaved), or a 422 listing every problem of the payload, given
    what the database said of its references (`birth_date`: of the live child, if found)."""
    return SessionRecord(
        **new_values(
            payload,
            clinic_id=clinic_id,
            reference_errors=reference_errors,
            birth_date=birth_date,
            exercise_errors=exercise_errors,
        )
    )


def new_values(
    payload: SessionRecordCreate,
    *,
    clinic_id: uuid.UUID,
    reference_errors: Errors,
    birth_date: date | None,
    exercise_errors: Errors,
) -> dict[str, Any]:
    """`new_record`'s values (the rest are the columns' defaults), or its 422."""
    errors = reference_errors + _practitioner_rule(payload.type, payload.practitioner_id)
    errors += _before_birth(birth_date, payload.started_at)
    duration_errors, minutes = _duration(
        payload.started_at, payload.duration_minutes, payload.ended_at, current=None
    )
    errors += duration_errors + exercise_errors
    if errors:
        raise ValidationProblemError(errors)
    assert minutes is not None
    fields = payload.model_dump(exclude={"duration_minutes", "ended_at", "exercises", "notes"})
    return {
        **fields,
        **started_columns(payload.started_at),
        "duration_minutes": minutes,
        "exercises": _exercise_rows(payload.exercises),
        "notes": payload.notes.model_dump(),
        "clinic_id": clinic_id,
    }


def snapshot(row: SessionRecord, amendments: Amendments) -> dict[str, Any]:
    """The record as the API shows it, as JSON data (kept as its version, and the body)."""
    data: dict[str, Any] = to_public(row, amendments).model_dump(mode="json")
    return data


def _refuse_if_signed(row: SessionRecord) -> None:
    if row.signed_at is not None:
        raise SessionSignedError(
            "The record is signed: it cannot be changed or deleted, only amended."
        )


async def update(
    tenant: Tenant, *, row: SessionRecord, patch: SessionRecordPatch, client_id: uuid.UUID
) -> SessionRecord:
    """Apply a PATCH to an unsigned record (the caller checked If-Match), all or nothing."""
    _refuse_if_signed(row)
    sent = patch.model_fields_set
    errors = [
        _error(f"#/{name}", "This field cannot be null.", "null_not_allowed")
        for name in sorted(sent & (REQUIRED | {"exercises", "notes"}))
        if getattr(patch, name) is None
    ]
    if errors:
        raise ValidationProblemError(errors)
    session_type = patch.type or row.type
    practitioner_id = patch.practitioner_id if "practitioner_id" in sent else row.practitioner_id
    if "practitioner_id" in sent:
        more, _ = await _ref(tenant, Practitioner, practitioner_id, "#/practitioner_id")
        errors += more
    errors += _practitioner_rule(session_type, practitioner_id)
    started = patch.started_at or _aware(row.started_at)
    if patch.started_at is not None:
        child = await tenant.get(Child, row.child_id)
        errors += _before_birth(child.birth_date if child is not None else None, started)
    duration_errors, minutes = _duration(
        started, patch.duration_minutes, patch.ended_at, current=row.duration_minutes
    )
    errors += duration_errors
    if patch.exercises is not None:
        errors += await _exercise_errors(tenant, row.child_id, patch.exercises, row.exercises)
    if errors:
        raise ValidationProblemError(errors)
    assert minutes is not None
    changes: dict[str, Any] = patch.model_dump(
        exclude_unset=True, exclude={"duration_minutes", "ended_at", "exercises", "notes"}
    )
    if patch.started_at is not None:
        changes.update(started_columns(patch.started_at))
    for name, value in changes.items():
        setattr(row, name, value)
    row.duration_minutes = minutes
    if patch.exercises is not None:
        row.exercises = _exercise_rows(patch.exercises)
    if patch.notes is not None:
        row.notes = patch.notes.model_dump()
    touch(row)
    await tenant.db.flush()
    _keep(tenant, row, [], client_id)
    return row


async def delete(tenant: Tenant, *, row: SessionRecord, client_id: uuid.UUID) -> None:
    """Tombstone an unsigned record."""
    _refuse_if_signed(row)
    soft_delete(row)
    await tenant.db.flush()
    _keep(tenant, row, [], client_id)


async def sign(
    tenant: Tenant, *, row: SessionRecord, payload: SignRequest, client_id: uuid.UUID
) -> SessionRecord:
    """Sign a record (the caller checked If-Match); from now on it is only amended."""
    if row.signed_at is not None:
        raise AlreadySignedError("The record is already signed.")
    await find_reference(tenant, Practitioner, payload.signed_by, pointer="#/signed_by")
    row.signed_by = payload.signed_by
    touch(row)
    row.signed_at = row.updated_at
    await tenant.db.flush()
    _keep(tenant, row, [], client_id)
    return row


async def amend(
    tenant: Tenant, *, row: SessionRecord, payload: AmendmentCreate, client_id: uuid.UUID
) -> SessionAmendment:
    """Append an amendment to a signed record; the record gets a new version (its ETag moves)."""
    if row.signed_at is None:
        raise NotSignedError("Only a signed record is amended; change this one with PATCH.")
    await find_reference(tenant, Practitioner, payload.author_id, pointer="#/author_id")
    amendment = tenant.add(
        SessionAmendment(
            clinic_id=tenant.clinic_id,
            session_record_id=row.id,
            author_id=payload.author_id,
            reason=payload.reason,
            text=payload.text,
            created_at=utcnow(),
            client_id=client_id,
        )
    )
    touch(row)
    await tenant.db.flush()
    _keep(tenant, row, await amendments_of(tenant, row), client_id)
    return amendment


async def get(tenant: Tenant, record_id: uuid.UUID, *, for_update: bool = False) -> SessionRecord:
    """A live record of the clinic, else 404."""
    return await get_live(tenant, SessionRecord, record_id, for_update=for_update)


async def load_amendments(
    tenant: Tenant, record_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Amendments]:
    """The amendments of these records, oldest first, with one query."""
    found: dict[uuid.UUID, Amendments] = {record_id: [] for record_id in record_ids}
    if not record_ids:
        return found
    statement = (
        tenant.select(SessionAmendment)
        .where(col(SessionAmendment.session_record_id).in_(list(record_ids)))
        .order_by(col(SessionAmendment.created_at), col(SessionAmendment.id))
    )
    for amendment in (await tenant.db.execute(statement)).scalars():
        found[amendment.session_record_id].append(amendment)
    return found


async def amendments_of(tenant: Tenant, row: SessionRecord) -> Amendments:
    """The amendments of one record, oldest first."""
    return (await load_amendments(tenant, [row.id]))[row.id]


async def live_child(tenant: Tenant, child_id: uuid.UUID) -> Child:
    """A live child of the clinic, else 404 (for the nested list)."""
    return await get_live(tenant, Child, child_id)


@dataclass(frozen=True, slots=True)
class SessionFilters:
    """What a list of records is filtered by: `started_from` inclusive, `started_to` exclusive
    (both in UTC, as cursors are bound to them)."""

    child_id: uuid.UUID | None = None
    practitioner_id: uuid.UUID | None = None
    session_type: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None

    def __post_init__(self) -> None:
        # The instants in UTC whatever offset the client wrote: cursors are bound to them.
        for name in ("started_from", "started_to"):
            if (moment := getattr(self, name)) is not None:
                object.__setattr__(self, name, moment.astimezone(UTC))

    def context(self) -> str:
        """What a list cursor is bound to."""
        return (
            f"{RESOURCE}|{self.child_id}|{self.practitioner_id}|{self.session_type}"
            f"|{self.started_from}|{self.started_to}"
        )


async def list_public(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: SessionFilters
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of records with their amendments (two queries)."""
    f = filters
    conditions: list[ColumnElement[bool]] = []
    if f.child_id is not None:
        conditions.append(col(SessionRecord.child_id) == f.child_id)
    if f.practitioner_id is not None:
        conditions.append(col(SessionRecord.practitioner_id) == f.practitioner_id)
    if f.session_type is not None:
        conditions.append(col(SessionRecord.type) == f.session_type)
    if f.started_from is not None:
        conditions.append(col(SessionRecord.started_at) >= f.started_from)
    if f.started_to is not None:
        conditions.append(col(SessionRecord.started_at) < f.started_to)
    rows, next_cursor = await list_page(
        tenant, SessionRecord, query=query, filters=conditions, codec=codec, context=f.context()
    )
    amendments = await load_amendments(tenant, [row.id for row in rows])
    return [plain_view(row, amendments[row.id]) for row in rows], next_cursor
