"""Every FHIR resource type the API serves, as the tables it comes from (`export_sources.Part`):
read, searched and exported by the same description (docs/fhir.md)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

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
from dmi_api.fhir.references import references, without
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
from dmi_api.queries.predicates import columns, live, table_of
from dmi_api.services.export_sources import (
    Context,
    Part,
    Render,
    Resource,
    Source,
    items_of,
)

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


async def _live_ids(context: Context, model: type[Any], ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    c = columns(model)
    statement = context.tenant.select_rows(model).where(c.id.in_(ids), live(model))
    return {row.id for row in (await context.tenant.db.execute(statement)).all()}


async def _dead(context: Context, named: set[str]) -> set[str]:
    """Of the references to practitioners and to prescription items (ServiceRequests), those
    whose row is deleted (an item: its prescription)."""
    wanted: dict[str, set[uuid.UUID]] = {"Practitioner": set(), "ServiceRequest": set()}
    for reference in named:
        kind, _, row_id = reference.partition("/")
        if kind in wanted:
            wanted[kind].add(uuid.UUID(row_id))
    alive = {
        f"Practitioner/{i}" for i in await _live_ids(context, Practitioner, wanted["Practitioner"])
    }
    items = wanted["ServiceRequest"]
    if items:
        item, prescription = columns(PrescriptionItem), columns(Prescription)
        statement = (
            context.tenant.select_rows(PrescriptionItem)
            .join(
                table_of(Prescription),
                (prescription.clinic_id == item.clinic_id)
                & (prescription.id == item.prescription_id),
            )
            .where(item.id.in_(items), live(Prescription))
        )
        rows = (await context.tenant.db.execute(statement)).all()
        alive |= {f"ServiceRequest/{row.id}" for row in rows}
    return {reference for reference in named if reference.partition("/")[0] in wanted} - alive


# The elements of ours that name a practitioner or a prescription item (the others name the
# record's own child, or rows of its own).
NAMING_OTHERS = ("participant", "performer", "author", "requester", "basedOn")


def _pruned(render: Render) -> Render:
    """A render whose resources leave out their references to deleted practitioners and to the
    items of deleted prescriptions (the record stays; its link to a deleted row goes)."""

    async def pruned(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
        rendered = await render(context, rows)
        named: set[str] = set()
        for found in rendered:
            for resource in found:
                for key in NAMING_OTHERS:
                    if key in resource:
                        references(resource[key], named)
        dead = await _dead(context, named)
        if not dead:
            return rendered
        return [[without(resource, dead) for resource in found] for found in rendered]

    return pruned


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
    statement = context.tenant.select_rows(Exercise).where(columns(Exercise).id.in_(ids))
    return {row.id: row for row in (await context.tenant.db.execute(statement)).all()}


async def _conditions(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    key = await context.fhir_id_key()
    return [conditions.conditions(row, key=key) for row in rows]


async def _care_plans(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    items = await items_of(context, rows)
    return [[care_plans.care_plan(row, items[row.id])] for row in rows]


async def _service_requests(context: Context, rows: Sequence[Any]) -> list[list[Resource]]:
    items = await items_of(context, rows)
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
    named = {str(done["exercise_id"]) for row in rows for done in row.exercises}
    exercises = await _exercises_by_id(context, {uuid.UUID(one) for one in named})
    system = context.system(service_requests.SYSTEM_KIND)
    concepts: dict[str, Resource] = {}  # each exercise's code, built once a chunk
    return [procedures.procedures(row, exercises, system=system, concepts=concepts) for row in rows]


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


# What an Encounter reads of a session record (not its exercises or notes: JSON to decode).
SESSION_COLUMNS = (
    "id",
    "version",
    "updated_at",
    "deleted_at",
    "child_id",
    "practitioner_id",
    "type",
    "setting",
    "started_at",
    "duration_minutes",
    "attendance",
)

_PATIENT = Part(
    Child,
    _each(patients.patient, patients.SYSTEM_KIND),
    identifier="external_id",
    columns=(
        "id",
        "version",
        "updated_at",
        "deleted_at",
        "status",
        "external_id",
        "given_name",
        "family_name",
        "preferred_name",
        "sex",
        "birth_date",
    ),
    audited=CHILD,
)


def _embedded_in_child(render: Render, suffix: str) -> Part:
    """Resources kept in a child's row (its caregivers, its diagnoses), each id the child's
    and `suffix`; they vanish from the row when removed from it."""
    return Part(
        Child, render, patient="id", row_id=_prefixed(suffix), vanishing=True, audited=CHILD
    )


def _of_sessions(render: Render, read: tuple[str, ...], **more: Any) -> Part:
    """Resources of session records, from the columns they `read`."""
    return Part(
        SessionRecord,
        _pruned(render),
        patient="child_id",
        date="started_at",
        audited=SESSION,
        columns=read,
        **more,
    )


def _about_child(name: str, *parts: Part) -> Source:
    """A type of resources about a child (in the Patient compartment)."""
    return Source(name, True, parts)


FHIR_SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        _about_child("Patient", _PATIENT),
        _about_child(
            "RelatedPerson",
            _embedded_in_child(_each(related_persons.related_persons), ".caregiver."),
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
        _about_child("Condition", _embedded_in_child(_conditions, ".diagnosis.")),
        _about_child(
            "Observation",
            Part(
                Child,
                _each(observations.gestational_age),
                where=_gestational_age_known,
                patient="id",
                date="birth_date",
                row_id=_prefixed(".gestational-age"),
                vanishing=True,
                audited=CHILD,
            ),
            Part(
                Assessment,
                _pruned(_each(observation_scores.score_observations)),
                where=_final,
                patient="child_id",
                date="performed_on",
                row_id=_score_row,
                vanishing=True,
                audited=ASSESSMENT,
            ),
            Part(
                Milestone,
                _each(observations.milestone_observation),
                patient="child_id",
                date=("achieved_on", "observed_on"),  # as its effectiveDateTime
                audited=MILESTONE,
            ),
        ),
        _about_child(
            "QuestionnaireResponse",
            Part(
                Assessment,
                _pruned(_each(questionnaire_responses.questionnaire_response)),
                patient="child_id",
                date="performed_on",
                audited=ASSESSMENT,
            ),
        ),
        _about_child(
            "CarePlan",
            Part(Prescription, _pruned(_care_plans), patient="child_id", audited=PRESCRIPTION),
        ),
        _about_child(
            "ServiceRequest",
            Part(
                Prescription,
                _pruned(_service_requests),
                patient="child_id",
                locate=item_row_id,
                audited=PRESCRIPTION,
            ),
        ),
        _about_child("Encounter", _of_sessions(_each(encounters.encounter), SESSION_COLUMNS)),
        _about_child(
            "Procedure",
            _of_sessions(
                _procedures,
                (*SESSION_COLUMNS, "exercises"),
                row_id=_prefixed(".exercise."),
                vanishing=True,
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
    dates = "eq (or no prefix), gt, ge, lt or le and a date or an instant; twice"
    if any(part.date for part in parts):
        found.append(("date", "date", dates))
    found.append(("_lastUpdated", "date", dates))
    return found


def _children(context: Context, *conditions: Any) -> Any:
    c = columns(Child)
    return context.tenant.select_rows(Child).with_only_columns(c.id).where(*conditions)


def of_live_patient(context: Context, part: Part) -> Any:
    """A row of a live child (a deleted child's records leave FHIR with it: its compartment is
    deleted), for the parts about a child; None for the others."""
    if part.patient != "child_id":
        return None
    return columns(part.model).child_id.in_(_children(context, live(Child)))


def deleted_after(context: Context, part: Part, since: Any) -> Any:
    """A row deleted after `since`, or (a part about a child) a row of a child deleted after it."""
    c = columns(part.model)
    deleted = c.deleted_at.is_not(None) & (c.deleted_at > since)
    if part.patient != "child_id":
        return deleted
    gone = _children(context, columns(Child).deleted_at > since)
    return deleted | c.child_id.in_(gone)


async def patient_deleted(context: Context, part: Part, row: Any) -> bool:
    """Whether the row is about a child that was deleted (its compartment is gone)."""
    if part.patient != "child_id":
        return False
    statement = _children(context, columns(Child).id == row.child_id, live(Child))
    return (await context.tenant.db.execute(statement)).first() is None
