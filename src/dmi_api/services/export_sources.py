"""What a bulk export writes, per output type: the tables it reads and how a chunk of their rows
becomes resources (FHIR's, or the `/v1` representations), and what a tombstone deletes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dmi_api.fhir import encounters, patients, practitioners
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


Render = Callable[[Context, Sequence[Any]], Awaitable[list[Resource]]]


@dataclass(frozen=True)
class Part:
    """One table an output type reads: its rows in chunks, rendered; a tombstone's resources
    (`Type/id`, FHIR only)."""

    model: type[Any]
    render: Render
    deleted: Callable[[Any], list[str]] | None = None


@dataclass(frozen=True)
class Source:
    """One output type (one file or more): its name in the manifest, whether it belongs to the
    patients' compartments (`Patient/$export`), and the tables it reads."""

    name: str
    patient: bool
    parts: tuple[Part, ...]


def _each(mapping: Callable[..., Resource], kind: str | None = None) -> Render:
    async def render(context: Context, rows: Sequence[Any]) -> list[Resource]:
        system = context.system(kind) if kind else ""
        return [mapping(row, system=system) for row in rows]

    return render


def _own(resource_type: str) -> Callable[[Any], list[str]]:
    return lambda row: [f"{resource_type}/{row.id}"]


FHIR_SOURCES: dict[str, Source] = {
    "Patient": Source(
        "Patient",
        True,
        (Part(Child, _each(patients.patient, patients.SYSTEM_KIND), _own("Patient")),),
    ),
    "Practitioner": Source(
        "Practitioner",
        False,
        (
            Part(
                Practitioner,
                _each(practitioners.practitioner, practitioners.SYSTEM_KIND),
                _own("Practitioner"),
            ),
        ),
    ),
    "Encounter": Source(
        "Encounter",
        True,
        (Part(SessionRecord, _each(encounters.encounter), _own("Encounter")),),
    ),
}


def _dumped(views: Sequence[Any]) -> list[Resource]:
    return [view.model_dump(mode="json") for view in views]


async def _children(context: Context, rows: Sequence[Any]) -> list[Resource]:
    return _dumped(await children.public_views(context.tenant, list(rows)))


async def _practitioners(_context: Context, rows: Sequence[Any]) -> list[Resource]:
    return _dumped([practitioner_service.to_public(row) for row in rows])


async def _exercises(_context: Context, rows: Sequence[Any]) -> list[Resource]:
    return _dumped([exercises.to_public(row) for row in rows])


async def _prescriptions(context: Context, rows: Sequence[Any]) -> list[Resource]:
    items = await prescription_items.load(context.tenant, [row.id for row in rows])
    return _dumped([prescriptions.to_public(row, items[row.id]) for row in rows])


async def _session_records(context: Context, rows: Sequence[Any]) -> list[Resource]:
    amendments = await load_amendments(context.tenant, [row.id for row in rows])
    return _dumped([session_record_view(row, amendments[row.id]) for row in rows])


async def _assessments(context: Context, rows: Sequence[Any]) -> list[Resource]:
    return _dumped(await assessments.public_views(context.tenant, list(rows)))


async def _milestones(context: Context, rows: Sequence[Any]) -> list[Resource]:
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

SOURCES = {"fhir": FHIR_SOURCES, "v1": V1_SOURCES}


def sources_of(export_format: str, types: Sequence[str]) -> list[Source]:
    """The sources of an export's types, in the order given."""
    return [SOURCES[export_format][name] for name in types]
