"""The `/v1` exports' output types: each line as the `/v1` GET shows the resource, built as plain
data (`schemas.base.plain`, as the hot read paths build theirs; tests/test_plain_views.py and
tests/exports prove them equal).

What a line only writes out (UUIDs, timestamps, JSON documents: `as_read`) is read as its JSON
text (`queries.json_text`) and written as read: no `datetime`, UUID or decoded document made
and encoded back for every row (bench/README.md, "Bulk export")."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Text, cast

from dmi_api.models import (
    Assessment,
    Child,
    Exercise,
    Milestone,
    Practitioner,
    Prescription,
    SessionRecord,
)
from dmi_api.queries.json_text import has_json_text, is_json_text, json_text, minutes_after
from dmi_api.queries.predicates import columns
from dmi_api.schemas.assessments import AssessmentPublic
from dmi_api.schemas.base import plain, stored
from dmi_api.schemas.children import ChildPublic
from dmi_api.schemas.exercises import ExercisePublic
from dmi_api.schemas.milestones import MilestonePublic
from dmi_api.schemas.practitioners import PractitionerPublic
from dmi_api.schemas.prescriptions import PrescriptionItemPublic, PrescriptionPublic
from dmi_api.schemas.session_records import SessionRecordPublic
from dmi_api.services import rules_in_effect
from dmi_api.services.export_sources import Context, Part, Resource, Source, items_of
from dmi_api.services.session_record_queries import amended, load_amendments
from dmi_api.services.session_record_views import export_view

# Per chunk, what a row's line shows besides its columns (its ages, its items).
Computed = Callable[[Context, Sequence[Any]], Awaitable[Callable[[Any], dict[str, Any]]]]


def as_read(
    model: type[Any], shown: type[BaseModel], *, keep: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The columns of `model` a line of `shown` writes out as they are read: its UUIDs,
    timestamps and JSON documents, but for those the rendering reads itself (`keep`)."""
    c = columns(model)
    return tuple(
        name
        for name in shown.model_fields
        if name in c and name not in keep and has_json_text(c[name])
    )


def _part(
    model: type[Any],
    shown: type[BaseModel],
    computed: Computed | None = None,
    *,
    keep: tuple[str, ...] = (),
) -> Part:
    """The part of `model`'s rows, each a line of `shown` (with what `computed` adds)."""
    names = as_read(model, shown, keep=keep)
    c = columns(model)
    documents = tuple(name for name in names if is_json_text(c[name]))

    async def render(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
        more = await computed(context, rows) if computed is not None else _nothing
        return [
            [plain(row, shown, **{n: stored(getattr(row, n)) for n in documents}, **more(row))]
            for row in rows
        ]

    return Part(model, render, as_read=names)


def _nothing(_row: Any) -> dict[str, Any]:
    return {}


async def _child_ages(context: Context, _rows: Sequence[Any]) -> Callable[[Any], dict[str, Any]]:
    """A child's ages on the clinic's today, as its GET shows them."""
    rules = await rules_in_effect.load(context.tenant)
    today = rules.today()
    return lambda row: {"age": rules_in_effect.age_plain(rules, row, today)}


def _ages_on(dated: Callable[[Any], date | None]) -> Computed:
    """A row's ages on its date (assessments, milestones): its child's age inputs read once a
    chunk, as plain rows."""

    async def computed(context: Context, rows: Sequence[Any]) -> Callable[[Any], dict[str, Any]]:
        rules = await rules_in_effect.load(context.tenant)
        kids = await rules_in_effect.age_inputs(context.tenant, {row.child_id for row in rows})

        def age(row: Any) -> dict[str, Any]:
            child = kids.get(row.child_id)
            on = dated(row)
            return {"age": None if child is None else rules_in_effect.age_plain(rules, child, on)}

        return age

    return computed


async def _items(context: Context, rows: Sequence[Any]) -> Callable[[Any], dict[str, Any]]:
    """A prescription's items still on it, in order."""
    items = await items_of(context, rows, kept=True)
    return lambda row: {"items": [plain(item, PrescriptionItemPublic) for item in items[row.id]]}


def _session_records() -> Part:
    """Session records: `export_view` (their exercises and notes written as stored when written
    in the API's form, checked otherwise), their end read with them, amendments read only for
    records that have any."""
    names = as_read(SessionRecord, SessionRecordPublic, keep=("exercises", "notes"))

    async def render(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
        ids = [_uuid(row.id) for row in rows if row.amended]
        amendments = await load_amendments(context.tenant, ids)
        return [
            [export_view(row, amendments.get(_uuid(row.id), ()) if row.amended else ())]
            for row in rows
        ]

    return Part(
        SessionRecord,
        render,
        columns=tuple(
            name
            for name in SessionRecordPublic.model_fields
            if name not in ("ended_at", "amendments", "exercises", "notes")
        ),
        extra=_record_extra,
        as_read=names,
    )


def _uuid(value: Any) -> uuid.UUID:
    """An id read as a UUID or as its text (`as_read`)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _record_extra() -> tuple[ColumnElement[Any], ...]:
    c = columns(SessionRecord)
    return (
        json_text(minutes_after(c.started_at, c.duration_minutes)).label("ended_at"),
        cast(c.exercises, Text).label("exercises_json"),
        cast(c.notes, Text).label("notes_json"),
        c.documents_form,
        amended().label("amended"),
    )


# The `/v1` exports: each resource as its `/v1` GET shows it.
V1_SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("children", True, (_part(Child, ChildPublic, _child_ages),)),
        Source("practitioners", False, (_part(Practitioner, PractitionerPublic),)),
        Source("exercises", False, (_part(Exercise, ExercisePublic),)),
        Source(
            "prescriptions",
            True,
            (_part(Prescription, PrescriptionPublic, _items, keep=("id",)),),
        ),
        Source("session_records", True, (_session_records(),)),
        Source(
            "assessments",
            True,
            (
                _part(
                    Assessment,
                    AssessmentPublic,
                    _ages_on(lambda row: row.performed_on),
                    keep=("child_id",),
                ),
            ),
        ),
        Source(
            "milestones",
            True,
            (
                _part(
                    Milestone,
                    MilestonePublic,
                    _ages_on(lambda row: row.achieved_on or row.observed_on),
                    keep=("child_id",),
                ),
            ),
        ),
    )
}
