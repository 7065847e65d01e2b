"""What a bulk export writes, per output type: the tables it reads and how a chunk of their rows
becomes resources (FHIR's: `fhir_sources`, or the `/v1` representations here), and what a
tombstone deletes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement

from dmi_api.fhir.identifiers import identifier_system
from dmi_api.models import (
    Assessment,
    Child,
    Exercise,
    Milestone,
    Practitioner,
    Prescription,
    SessionRecord,
)
from dmi_api.services import (
    assessments,
    children,
    exercises,
    milestones,
    prescription_items,
    prescriptions,
)
from dmi_api.services import practitioners as practitioner_service
from dmi_api.services.session_record_queries import load_amendments
from dmi_api.services.session_record_views import to_public as session_record_view
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
    date: str | None = None
    identifier: str | None = None
    row_id: Callable[[str], uuid.UUID | None] = field(default=whole_id)
    locate: Callable[[Context, str], Awaitable[uuid.UUID | None]] | None = None
    # Whether a live row's resources can vanish as it changes (a caregiver removed): an
    # incremental export then deletes them (their ids from the version kept at `since`).
    vanishing: bool = False
    audited: str = ""


@dataclass(frozen=True)
class Source:
    """One output type (one file or more): its name in the manifest, whether it belongs to the
    patients' compartments (`Patient/$export`), and the tables it reads."""

    name: str
    patient: bool
    parts: tuple[Part, ...]


def _dumped(views: Sequence[Any]) -> list[list[Resource]]:
    return [[view.model_dump(mode="json")] for view in views]


async def _children(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    return _dumped(await children.public_views(context.tenant, list(rows)))


async def _practitioners(_context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    return _dumped([practitioner_service.to_public(row) for row in rows])


async def _exercises(_context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    return _dumped([exercises.to_public(row) for row in rows])


async def _prescriptions(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    items = await prescription_items.load(context.tenant, [row.id for row in rows])
    return _dumped([prescriptions.to_public(row, items[row.id]) for row in rows])


async def _session_records(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    amendments = await load_amendments(context.tenant, [row.id for row in rows])
    return _dumped([session_record_view(row, amendments[row.id]) for row in rows])


async def _assessments(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    return _dumped(await assessments.public_views(context.tenant, list(rows)))


async def _milestones(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    return _dumped(await milestones.public_views(context.tenant, list(rows)))


# The `/v1` exports: each resource as its `/v1` GET shows it.
V1_SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("children", True, (Part(Child, _children),)),
        Source("practitioners", False, (Part(Practitioner, _practitioners),)),
        Source("exercises", False, (Part(Exercise, _exercises),)),
        Source("prescriptions", True, (Part(Prescription, _prescriptions),)),
        Source("session_records", True, (Part(SessionRecord, _session_records),)),
        Source("assessments", True, (Part(Assessment, _assessments),)),
        Source("milestones", True, (Part(Milestone, _milestones),)),
    )
}
