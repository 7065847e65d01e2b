"""Session records as the API shows them: response bodies and kept snapshots."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from dmi_api.models import SessionAmendment, SessionRecord
from dmi_api.schemas.base import plain, stored
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
_EXERCISE_KEYS, _NOTE_KEYS = frozenset(_EXERCISE_FIELDS), frozenset(_NOTE_FIELDS)
# The form of a record's exercises and notes whose every object has exactly the API's fields
# (a number of their names: it changes when they do). A row written so carries it.
DOCUMENTS_FORM = zlib.crc32(f"{','.join(_EXERCISE_FIELDS)}|{','.join(_NOTE_FIELDS)}".encode()) >> 1


def documents_form(exercises: Any, notes: Any) -> int | None:
    """`DOCUMENTS_FORM` when these exercises and notes, as they are stored, have exactly the
    API's fields (as every write stores them); None otherwise."""
    shaped = isinstance(exercises, list) and all(
        isinstance(entry, dict) and entry.keys() == _EXERCISE_KEYS for entry in exercises
    )
    if shaped and isinstance(notes, dict) and notes.keys() == _NOTE_KEYS:
        return DOCUMENTS_FORM
    return None


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
    return [_shown(done, _EXERCISE_FIELDS) for done in exercises], _shown(notes, _NOTE_FIELDS)


def _shown(entry: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: entry.get(k) for k in fields}


def stored_json(text: str, fields: tuple[str, ...], keys: frozenset[str], *, many: bool) -> Any:
    """A JSON column's stored text as the API shows it (`many`: a list of objects): written out
    as it is stored (`orjson.Fragment`) when each object has exactly the API's keys (`fields`;
    as a set, `keys`: JSON objects are unordered), as every write stores them (`stored`);
    otherwise rebuilt with them (`stored_views`)."""
    data = orjson.loads(text)
    entries = data if many else [data]
    if all(entry.keys() == keys for entry in entries):
        return stored(text)
    shown = [_shown(entry, fields) for entry in entries]
    return shown if many else shown[0]


def export_view(row: Any, amendments: Sequence[SessionAmendment]) -> dict[str, Any]:
    """`plain_view` of a row read for a bulk export: its end read with it (`ended_at`), its
    exercises and notes as their stored JSON text (`exercises_json`, `notes_json`), written as
    stored when the row says they were written in the API's form (`documents_form`), checked
    otherwise (`stored_json`)."""
    if row.documents_form == DOCUMENTS_FORM:
        exercises, notes = stored(row.exercises_json), stored(row.notes_json)
    else:
        exercises = stored_json(row.exercises_json, _EXERCISE_FIELDS, _EXERCISE_KEYS, many=True)
        notes = stored_json(row.notes_json, _NOTE_FIELDS, _NOTE_KEYS, many=False)
    return _view(row, amendments, exercises, notes, row.started_at, row.ended_at)


def plain_view(row: SessionRecord, amendments: Sequence[SessionAmendment]) -> dict[str, Any]:
    """`to_public` as plain data, built without validating the stored record again (lists)."""
    started = aware(row.started_at)
    ended = started + timedelta(minutes=row.duration_minutes)
    return _view(row, amendments, *stored_views(row.exercises, row.notes), started, ended)


def _view(
    row: Any,
    amendments: Sequence[SessionAmendment],
    exercises: Any,
    notes: Any,
    started: Any,
    ended: Any,
) -> dict[str, Any]:
    """The body of a record from its row, its exercises and notes as shown, and its start and
    end."""
    return plain(
        row,
        SessionRecordPublic,
        started_at=started,
        ended_at=ended,
        exercises=exercises,
        notes=notes,
        amendments=[{k: getattr(a, k) for k in _AMENDMENT_FIELDS} for a in amendments],
    )
