"""Every FHIR resource type the API serves, as the tables it comes from (`export_sources.Part`):
read, searched and exported by the same description (docs/fhir.md)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import col

from dmi_api.fhir import (
    care_plans,
    conditions,
    encounters,
    observation_scores,
    observations,
    patients,
    practitioners,
    procedures,
    questionnaire_responses,
    related_persons,
    service_requests,
)
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
from dmi_api.queries.predicates import columns
from dmi_api.services.export_sources import Context, Part, Render, Resource, Source

CHILD, PRACTITIONER = "child", "practitioner"
SESSION, ASSESSMENT = "session_record", "assessment"
MILESTONE, PRESCRIPTION = "milestone", "prescription"


def _each(mapping: Callable[..., Resource | list[Resource] | None], kind: str = "") -> Render:
    """A render of a mapping of one row (to one resource, several or none)."""

    async def render(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
        system = context.system(kind) if kind else None
        found: list[list[Resource]] = []
        for row in rows:
            mapped = mapping(row) if system is None else mapping(row, system=system)
            found.append(mapped if isinstance(mapped, list) else [] if mapped is None else [mapped])
        return found

    return render


def _prefixed(suffix: str) -> Callable[[str], uuid.UUID | None]:
    """The row of ids `{row id}{suffix}…` (a suffix such as `.caregiver.`)."""

    def row_id(resource_id: str) -> uuid.UUID | None:
        head, found, _tail = resource_id.partition(suffix)
        if not found:
            return None
        try:
            return uuid.UUID(head)
        except ValueError:
            return None

    return row_id


def _score_row(resource_id: str) -> uuid.UUID | None:
    # `{assessment id}.{score code}`; a gestational age's suffix is not a score.
    if resource_id.endswith(".gestational-age"):
        return None
    return _prefixed(".")(resource_id)


async def _exercises_by_id(context: Context, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    statement = context.tenant.select(Exercise).where(col(Exercise.id).in_(ids))
    result = await context.tenant.db.execute(statement)
    return {row.id: row for row in result.scalars()}


async def _items_of(context: Context, rows: Sequence[Any]) -> dict[uuid.UUID, list[Any]]:
    """Every item of these prescriptions, removed ones too, in order."""
    found: dict[uuid.UUID, list[Any]] = {row.id: [] for row in rows}
    if not found:
        return found
    statement = (
        context.tenant.select(PrescriptionItem)
        .where(col(PrescriptionItem.prescription_id).in_(list(found)))
        .order_by(col(PrescriptionItem.position), col(PrescriptionItem.id))
    )
    for item in (await context.tenant.db.execute(statement)).scalars():
        found[item.prescription_id].append(item)
    return found


async def _care_plans(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    items = await _items_of(context, rows)
    return [[care_plans.care_plan(row, items[row.id])] for row in rows]


async def _service_requests(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    items = await _items_of(context, rows)
    named = {item.exercise_id for found in items.values() for item in found}
    exercises = await _exercises_by_id(context, named)
    system = context.system(service_requests.SYSTEM_KIND)
    return [
        [
            service_requests.service_request(item, row, exercises[item.exercise_id], system=system)
            for item in items[row.id]
        ]
        for row in rows
    ]


async def _procedures(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    named = {uuid.UUID(str(done["exercise_id"])) for row in rows for done in row.exercises}
    exercises = await _exercises_by_id(context, named)
    system = context.system(service_requests.SYSTEM_KIND)
    return [procedures.procedures(row, exercises, system=system) for row in rows]


async def item_row_id(context: Context, resource_id: str) -> uuid.UUID | None:
    """The prescription of a ServiceRequest (an item's id)."""
    try:
        item_id = uuid.UUID(resource_id)
    except ValueError:
        return None
    item = await context.tenant.get(PrescriptionItem, item_id)
    return None if item is None else item.prescription_id


def _final() -> Any:
    return columns(Assessment).status == "final"


def _gestational_age_known() -> Any:
    return columns(Child).gestational_age_weeks.is_not(None)


_PATIENT = Part(
    Child,
    _each(patients.patient, patients.SYSTEM_KIND),
    identifier="external_id",
    audited=CHILD,
)

FHIR_SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source("Patient", True, (_PATIENT,)),
        Source(
            "RelatedPerson",
            True,
            (
                Part(
                    Child,
                    _each(related_persons.related_persons),
                    patient="id",
                    row_id=_prefixed(".caregiver."),
                    audited=CHILD,
                ),
            ),
        ),
        Source(
            "Practitioner",
            False,
            (
                Part(
                    Practitioner,
                    _each(practitioners.practitioner, practitioners.SYSTEM_KIND),
                    identifier="external_id",
                    audited=PRACTITIONER,
                ),
            ),
        ),
        Source(
            "Condition",
            True,
            (
                Part(
                    Child,
                    _each(conditions.conditions),
                    patient="id",
                    row_id=_prefixed(".diagnosis."),
                    audited=CHILD,
                ),
            ),
        ),
        Source(
            "Observation",
            True,
            (
                Part(
                    Child,
                    _each(observations.gestational_age),
                    where=_gestational_age_known,
                    patient="id",
                    date="birth_date",
                    row_id=_prefixed(".gestational-age"),
                    audited=CHILD,
                ),
                Part(
                    Assessment,
                    _each(observation_scores.score_observations),
                    where=_final,
                    patient="child_id",
                    date="performed_on",
                    row_id=_score_row,
                    audited=ASSESSMENT,
                ),
                Part(
                    Milestone,
                    _each(observations.milestone_observation),
                    patient="child_id",
                    date="achieved_on",
                    audited=MILESTONE,
                ),
            ),
        ),
        Source(
            "QuestionnaireResponse",
            True,
            (
                Part(
                    Assessment,
                    _each(questionnaire_responses.questionnaire_response),
                    patient="child_id",
                    date="performed_on",
                    audited=ASSESSMENT,
                ),
            ),
        ),
        Source(
            "CarePlan",
            True,
            (Part(Prescription, _care_plans, patient="child_id", audited=PRESCRIPTION),),
        ),
        Source(
            "ServiceRequest",
            True,
            (
                Part(
                    Prescription,
                    _service_requests,
                    patient="child_id",
                    locate=item_row_id,
                    audited=PRESCRIPTION,
                ),
            ),
        ),
        Source(
            "Encounter",
            True,
            (
                Part(
                    SessionRecord,
                    _each(encounters.encounter),
                    patient="child_id",
                    date="started_at",
                    audited=SESSION,
                ),
            ),
        ),
        Source(
            "Procedure",
            True,
            (
                Part(
                    SessionRecord,
                    _procedures,
                    patient="child_id",
                    date="started_at",
                    row_id=_prefixed(".exercise."),
                    audited=SESSION,
                ),
            ),
        ),
    )
}


def search_parameters(source: Source) -> list[tuple[str, str, str]]:
    """The CapabilityStatement's search parameters of a type (`_count` aside)."""
    parts = source.parts
    found = [("_id", "token", f"the {source.name}'s id (comma-separated: any of them)")]
    if any(part.identifier for part in parts):
        found.append(("identifier", "token", "the clinic's identifier: `[system|]value`"))
    if any(part.patient for part in parts):
        found += [
            ("patient", "reference", "the child: `Patient/{id}` or `{id}`"),
            ("subject", "reference", "the same as `patient`"),
        ]
    if any(part.date for part in parts):
        found.append(("date", "date", "gt, ge, lt or le and a date or an instant; twice"))
    found.append(("_lastUpdated", "date", "gt, ge, lt or le and a date or an instant; twice"))
    return found
