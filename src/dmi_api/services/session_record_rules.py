"""Session-record rules that need no database: what a payload may say, and the row it makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from dmi_api.errors import ConflictError, FieldProblem, ValidationProblemError
from dmi_api.schemas.session_records import (
    MAX_DURATION,
    PerformedExercise,
    SessionRecordCreate,
    SessionRecordPatch,
)
from dmi_api.services.session_record_views import documents_form

RESOURCE = "session_record"
AMENDMENT = "session_amendment"
Errors = list[FieldProblem]
Fresh = list[tuple[int, PerformedExercise]]


class SessionSignedError(ConflictError):
    """A signed record is never changed or deleted; add an amendment instead."""

    code = "session_signed"


class AlreadySignedError(ConflictError):
    """A record is signed once."""

    code = "already_signed"


class NotSignedError(ConflictError):
    """Amendments are for signed records; an unsigned one is simply changed."""

    code = "session_not_signed"


def duration(
    started: datetime, minutes: int | None, ended: datetime | None, *, current: int | None
) -> tuple[Errors, int | None]:
    """The duration from `duration_minutes` or `ended_at` (one of them), else the current one."""
    if minutes is not None and ended is not None:
        detail = "Send duration_minutes or ended_at, not both."
        return [FieldProblem("#/ended_at", detail, "conflicting_fields")], None
    if ended is None:
        if minutes is None and current is None:
            detail = "Send duration_minutes or ended_at."
            return [FieldProblem("#/duration_minutes", detail, "missing")], None
        return [], minutes if minutes is not None else current
    if ended <= started:
        detail = "The end must be after the start."
        return [FieldProblem("#/ended_at", detail, "end_before_start")], None
    length = round((ended - started).total_seconds() / 60)
    if not 1 <= length <= MAX_DURATION:
        detail = f"The session must last 1 to {MAX_DURATION} minutes."
        return [FieldProblem("#/ended_at", detail, "duration_out_of_range")], None
    return [], length


def _entry_key(exercise_id: Any, item_id: Any) -> tuple[str, str | None]:
    return str(exercise_id), str(item_id) if item_id is not None else None


def fresh_entries(
    entries: Sequence[PerformedExercise], current: Sequence[dict[str, Any]] = ()
) -> Fresh:
    """The entries to check (with their index): those not kept as they were.

    An entry kept as it was is not re-checked: retiring an exercise or a prescription item must
    not make the records that used it uneditable.
    """
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
            pointer = f"#/exercises/{index}/exercise_id"
            errors.append(
                FieldProblem(pointer, detail, "reference_not_found", reference=entry.exercise_id)
            )
        item_id = entry.prescription_item_id
        if item_id is None:
            continue
        pointer = f"#/exercises/{index}/prescription_item_id"
        if item_id not in items:
            detail = "No such prescription item for this child."
            errors.append(FieldProblem(pointer, detail, "reference_not_found", reference=item_id))
        elif items[item_id] != entry.exercise_id:
            detail = "The prescription item is for another exercise."
            errors.append(FieldProblem(pointer, detail, "exercise_mismatch"))
    return errors


def practitioner_rule(session_type: str, practitioner_id: uuid.UUID | None) -> Errors:
    """A practitioner is required unless the session is home practice."""
    if practitioner_id is None and session_type != "home_practice":
        detail = "A practitioner is required unless the type is home_practice."
        return [FieldProblem("#/practitioner_id", detail, "missing")]
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


def before_birth(birth_date: date | None, started: datetime) -> Errors:
    """The session may not start before the child's birth day."""
    if birth_date is not None and birth_date > latest_birth_date(started):
        detail = "The session cannot start before the child's birth."
        return [FieldProblem("#/started_at", detail, "before_birth")]
    return []


def exercise_rows(entries: Sequence[PerformedExercise]) -> list[dict[str, Any]]:
    """The performed exercises as stored."""
    return [entry.model_dump(mode="json") for entry in entries]


@dataclass(frozen=True, slots=True)
class Found:
    """What the database holds of a new record's references (`birth_date`: of the live child,
    None when there is none; `reference_errors`: the child's and practitioner's problems)."""

    birth_date: date | None
    reference_errors: Errors = field(default_factory=list)
    live_exercises: set[uuid.UUID] = field(default_factory=set)
    items: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A new record as the rules see it before the database is asked: the entries to check,
    the references to look up, and the row's values if every reference is right."""

    payload: SessionRecordCreate
    clinic_id: uuid.UUID
    fresh: Fresh
    exercise_ids: list[uuid.UUID]
    item_ids: list[uuid.UUID]
    # Each prescription item named → the exercise named with it (None: one item is named with
    # two exercises, so one of them is wrong whatever the database holds).
    assumed_items: dict[str, str] | None
    # The row's values if the references are as assumed (None: wrong whatever they are).
    values: dict[str, Any] | None

    def checked(self, found: Found) -> dict[str, Any]:
        """The row's values given what the database `found`, or a 422 listing every problem."""
        exercise_errors = (
            exercise_problems(self.fresh, found.live_exercises, found.items)
            if found.birth_date is not None
            else []
        )
        return _values(self.payload, self.clinic_id, found, exercise_errors)


def new_record(payload: SessionRecordCreate, clinic_id: uuid.UUID) -> NewRecord:
    """Everything both paths need of a new record's payload, in one call."""
    fresh = fresh_entries(payload.exercises)
    items = _assumed_items(fresh)
    values: dict[str, Any] | None = None
    if items is not None:
        # Wrong whatever the references: the checked values list every problem.
        with suppress(ValidationProblemError):
            values = _values(payload, clinic_id, Found(birth_date=None), [])
    return NewRecord(
        payload=payload,
        clinic_id=clinic_id,
        fresh=fresh,
        exercise_ids=sorted({entry.exercise_id for _, entry in fresh}),
        item_ids=sorted(
            {e.prescription_item_id for _, e in fresh if e.prescription_item_id is not None}
        ),
        assumed_items=items,
        values=values,
    )


def _assumed_items(fresh: Fresh) -> dict[str, str] | None:
    items: dict[str, str] = {}
    for _, entry in fresh:
        if entry.prescription_item_id is not None:
            item, exercise = str(entry.prescription_item_id), str(entry.exercise_id)
            if items.setdefault(item, exercise) != exercise:
                return None
    return items


def _values(
    payload: SessionRecordCreate, clinic_id: uuid.UUID, found: Found, exercise_errors: Errors
) -> dict[str, Any]:
    """The new row's values (the rest are the columns' defaults), or its 422."""
    errors = found.reference_errors + practitioner_rule(payload.type, payload.practitioner_id)
    errors += before_birth(found.birth_date, payload.started_at)
    duration_errors, minutes = duration(
        payload.started_at, payload.duration_minutes, payload.ended_at, current=None
    )
    errors += duration_errors + exercise_errors
    if errors:
        raise ValidationProblemError(errors)
    assert minutes is not None
    fields = payload.model_dump(exclude={"duration_minutes", "ended_at", "exercises", "notes"})
    exercises, notes = exercise_rows(payload.exercises), payload.notes.model_dump()
    return {
        **fields,
        **started_columns(payload.started_at),
        "duration_minutes": minutes,
        "exercises": exercises,
        "notes": notes,
        "documents_form": documents_form(exercises, notes),
        "clinic_id": clinic_id,
    }


def patched_values(patch: SessionRecordPatch, minutes: int | None) -> dict[str, Any]:
    """The columns a valid PATCH sets, in the order they are set (`minutes`: the duration it
    comes to)."""
    assert minutes is not None
    changes: dict[str, Any] = patch.model_dump(
        exclude_unset=True, exclude={"duration_minutes", "ended_at", "exercises", "notes"}
    )
    if patch.started_at is not None:
        changes.update(started_columns(patch.started_at))
    changes["duration_minutes"] = minutes
    if patch.exercises is not None:
        changes["exercises"] = exercise_rows(patch.exercises)
    if patch.notes is not None:
        changes["notes"] = patch.notes.model_dump()
    return changes
