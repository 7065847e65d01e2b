"""The exercises performed in a session record as FHIR R4 Procedures (docs/fhir.md, "Procedure")."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from dmi_api.fhir.identifiers import instant, row_meta
from dmi_api.fhir.service_requests import SYSTEM_KIND, dose_extension, exercise_concept

__all__ = ["RESPONSES", "SYSTEM_KIND", "procedure_id", "procedures"]

# The API's own code system for how much of the desired response the child showed.
RESPONSES = "urn:dmi-api:fhir:CodeSystem:exercise-response"
RESPONSE_NAMES = {
    "none": "No desired response",
    "partial": "Partial desired response",
    "full": "Full desired response",
}


def procedure_id(session_id: uuid.UUID | str, index: int) -> str:
    """`{session_id}.exercise.{index}`: the position in the session's list (replaced whole)."""
    return f"{session_id}.exercise.{index}"


def procedures(
    session: Any,
    exercises_by_id: Mapping[uuid.UUID, Any],
    *,
    system: str,
    concepts: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One Procedure per exercise of a stored session record (`SessionRecord` or row;
    `exercises_by_id`: the `Exercise` rows they name, deleted ones included; `system`: the
    clinic's exercise code system; `concepts`: the exercises' codes by id, shared by many
    sessions, filled as they are met)."""
    done = session.attendance == "attended"
    # What every Procedure of the session shares, built once (the exercises differ).
    meta = row_meta(session.version, session.updated_at)
    subject = {"reference": f"Patient/{session.child_id}"}
    encounter = {"reference": f"Encounter/{session.id}"}
    shared: dict[str, Any] = {}
    if done:
        ended = session.started_at + timedelta(minutes=session.duration_minutes)
        shared["performedPeriod"] = {"start": instant(session.started_at), "end": instant(ended)}
    if session.practitioner_id is not None:
        shared["performer"] = [{"actor": {"reference": f"Practitioner/{session.practitioner_id}"}}]
    concepts = {} if concepts is None else concepts
    resources: list[dict[str, Any]] = []
    for index, performed in enumerate(session.exercises):
        named = str(performed["exercise_id"])
        if named not in concepts:
            concepts[named] = exercise_concept(exercises_by_id.get(uuid.UUID(named)), system)
        resource: dict[str, Any] = {
            "resourceType": "Procedure",
            "id": procedure_id(session.id, index),
            "meta": meta,
            "status": "completed" if done else "not-done",
            "code": concepts[named],
            "subject": subject,
            "encounter": encounter,
        }
        if performed.get("prescription_item_id"):
            item = performed["prescription_item_id"]
            resource["basedOn"] = [{"reference": f"ServiceRequest/{item}"}]
        resource.update(shared)
        response = performed.get("response")
        if response in RESPONSE_NAMES:
            coding = {"system": RESPONSES, "code": response, "display": RESPONSE_NAMES[response]}
            resource["outcome"] = {"coding": [coding]}
        extension = dose_extension(
            repetitions=performed.get("repetitions"),
            sets=performed.get("sets"),
            support=performed.get("support_point"),
        )
        if extension:
            resource["extension"] = extension
        resources.append(resource)
    return resources
