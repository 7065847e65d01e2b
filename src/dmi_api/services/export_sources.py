"""What a bulk export writes, per output type: the tables it reads and how a chunk of their rows
becomes resources (FHIR's: `fhir_sources`, or the `/v1` representations here), and what a
tombstone deletes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, Text, cast

from dmi_api.fhir.identifiers import identifier_system
from dmi_api.models import (
    Assessment,
    Child,
    Exercise,
    Milestone,
    Practitioner,
    Prescription,
    PrescriptionItem,
    SessionRecord,
)
from dmi_api.queries.predicates import columns, kept_item
from dmi_api.schemas.assessments import AssessmentPublic
from dmi_api.schemas.base import plain
from dmi_api.schemas.exercises import ExercisePublic
from dmi_api.schemas.milestones import MilestonePublic
from dmi_api.schemas.practitioners import PractitionerPublic
from dmi_api.schemas.prescriptions import PrescriptionItemPublic, PrescriptionPublic
from dmi_api.schemas.session_records import SessionRecordPublic
from dmi_api.services import children, rules_in_effect
from dmi_api.services.session_record_queries import amended, load_amendments
from dmi_api.services.session_record_views import export_view
from dmi_api.tenant_scope import Tenant

Resource = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """What a chunk's rendering needs besides its rows: the clinic's view of the snapshot, and
    the issuer its identifier systems are named under."""

    tenant: Tenant
    issuer: str

    def system(self, kind: str) -> str:
        """The clinic's identifier system of a kind (`mrn`, `practitioner`, ...)."""
        return identifier_system(self.issuer, self.tenant.clinic_id, kind)


# A chunk of rows, rendered: the resources of each row, in the rows' order.
Render = Callable[[Context, Sequence[Any]], Awaitable[list[list[Resource]]]]


def whole_id(resource_id: str) -> uuid.UUID | None:
    """The row of a resource whose id is its row's UUID."""
    try:
        return uuid.UUID(resource_id)
    except ValueError:
        return None


@dataclass(frozen=True)
class Part:
    """One table an output type reads, and how FHIR's searches find its rows.

    `render`: a chunk of rows as resources (a tombstone's, rendered, are what it deleted);
    `where`: which live rows yield resources at all; `patient`, `date`, `identifier`: the
    columns FHIR's `patient`, `date` and `identifier` search; `row_id` (or, when it takes a
    query, `locate`): the row a resource id comes from (None: none of this part's);
    `audited`: the resource its audit events name.
    """

    model: type[Any]
    render: Render
    where: Callable[[], ColumnElement[bool]] | None = None
    patient: str | None = None
    date: str | tuple[str, ...] | None = None  # several: the first that is set
    identifier: str | None = None
    row_id: Callable[[str], uuid.UUID | None] = field(default=whole_id)
    locate: Callable[[Context, str], Awaitable[uuid.UUID | None]] | None = None
    # Whether a live row's resources can vanish as it changes (a caregiver removed): an
    # incremental export then deletes them (their ids from the version kept at `since`).
    vanishing: bool = False
    # The columns its render reads (None: all): a session's notes are never decoded for an
    # Encounter.
    columns: tuple[str, ...] | None = None
    # What it reads besides them, labelled (its render reads them by name).
    extra: Callable[[], tuple[ColumnElement[Any], ...]] = tuple

    def select(self, tenant: Tenant) -> Select[Any]:
        """`SELECT` of the clinic's rows of this part's table (its columns), as plain rows."""
        statement = tenant.select_rows(self.model)
        if self.columns is not None:
            c = columns(self.model)
            statement = statement.with_only_columns(*(c[name] for name in self.columns))
        return statement.add_columns(*self.extra())

    audited: str = ""


@dataclass(frozen=True)
class Source:
    """One output type (one file or more): its name in the manifest, whether it belongs to the
    patients' compartments (`Patient/$export`), and the tables it reads."""

    name: str
    patient: bool
    parts: tuple[Part, ...]


# Each line as the `/v1` GET shows it, built as plain data (`schemas.base.plain`, as the hot
# read paths build theirs; tests/test_plain_views.py and tests/exports prove them equal).


def _each_plain(model: type[BaseModel]) -> Render:
    async def render(_context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
        return [[plain(row, model)] for row in rows]

    return render


async def _children(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    return [[view] for view in await children.plain_views(context.tenant, list(rows))]


async def items_of(
    context: Context, rows: Sequence[Any], *, kept: bool = False
) -> dict[uuid.UUID, list[Any]]:
    """The items of these prescriptions (`kept`: only those still on them), in order, as rows."""
    found: dict[uuid.UUID, list[Any]] = {row.id: [] for row in rows}
    if not found:
        return found
    c = columns(PrescriptionItem)
    statement = context.tenant.select_rows(PrescriptionItem).where(
        c.prescription_id.in_(list(found)), *([kept_item(PrescriptionItem)] if kept else [])
    )
    for item in (await context.tenant.db.execute(statement.order_by(c.position, c.id))).all():
        found[item.prescription_id].append(item)
    return found


async def _prescriptions(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    items = await items_of(context, rows, kept=True)
    return [
        [
            plain(
                row,
                PrescriptionPublic,
                items=[plain(item, PrescriptionItemPublic) for item in items[row.id]],
            )
        ]
        for row in rows
    ]


async def _session_records(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    amended = await load_amendments(context.tenant, [row.id for row in rows if row.amended])
    return [[export_view(row, amended.get(row.id, ()))] for row in rows]


# A record's exercises and notes read as their stored text (`export_view`), and whether it has
# amendments (most have none: their query is skipped).
_RECORD_COLUMNS = tuple(
    name
    for name in SessionRecordPublic.model_fields
    if name not in ("ended_at", "amendments", "exercises", "notes")
)


def _record_extra() -> tuple[ColumnElement[Any], ...]:
    c = columns(SessionRecord)
    return (
        cast(c.exercises, Text).label("exercises_json"),
        cast(c.notes, Text).label("notes_json"),
        amended().label("amended"),
    )


def _aged(model: type[BaseModel], dated: Callable[[Any], date | None]) -> Render:
    """Rows with the child's ages on their date (assessments, milestones)."""

    async def render(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
        rules = await rules_in_effect.load(context.tenant)
        kids = await rules_in_effect.children_by_id(context.tenant, {row.child_id for row in rows})
        found: list[list[Resource]] = []
        for row in rows:
            child = kids.get(row.child_id)
            age = None if child is None else rules_in_effect.age_plain(rules, child, dated(row))
            found.append([plain(row, model, age=age)])
        return found

    return render


# The `/v1` exports: each resource as its `/v1` GET shows it.
V1_SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("children", True, (Part(Child, _children),)),
        Source("practitioners", False, (Part(Practitioner, _each_plain(PractitionerPublic)),)),
        Source("exercises", False, (Part(Exercise, _each_plain(ExercisePublic)),)),
        Source("prescriptions", True, (Part(Prescription, _prescriptions),)),
        Source(
            "session_records",
            True,
            (
                Part(
                    SessionRecord,
                    _session_records,
                    columns=_RECORD_COLUMNS,
                    extra=_record_extra,
                ),
            ),
        ),
        Source(
            "assessments",
            True,
            (Part(Assessment, _aged(AssessmentPublic, lambda row: row.performed_on)),),
        ),
        Source(
            "milestones",
            True,
            (
                Part(
                    Milestone,
                    _aged(MilestonePublic, lambda row: row.achieved_on or row.observed_on),
                ),
            ),
        ),
    )
}
