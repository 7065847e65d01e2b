"""Session records as the API shows them: response bodies and kept snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from dmi_api.models import SessionAmendment, SessionRecord
from dmi_api.schemas.base import plain
from dmi_api.schemas.session_records import (
    AmendmentPublic,
    PerformedExercisePublic,
    SessionRecordPublic,
    SoapNotesPublic,
)

_DERIVED = frozenset({"ended_at", "amendments"})
_EXERCISE_FIELDS = tuple(PerformedExercisePublic.model_fields)
_NOTE_FIELDS = tuple(SoapNotesPublic.model_fields)
_AMENDMENT_FIELDS = tuple(AmendmentPublic.model_fields)


def aware(moment: datetime) -> datetime:
    """A stored timestamp with its offset (SQLite hands them back naive; they are UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_public(row: SessionRecord, amendments: Sequence[SessionAmendment]) -> SessionRecordPublic:
    """The API view of a record with its amendments (oldest first)."""
    started = aware(row.started_at)
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


def snapshot(row: SessionRecord, amendments: Sequence[SessionAmendment]) -> dict[str, Any]:
    """The record as the API shows it, as JSON data (kept as its version, and the body)."""
    data: dict[str, Any] = to_public(row, amendments).model_dump(mode="json")
    return data


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
    started = aware(row.started_at)
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
