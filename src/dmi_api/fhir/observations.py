"""A child's gestational age at birth and gross-motor milestones as FHIR R4 Observations
(docs/fhir.md, "Observation (gestational age, milestones)")."""

from __future__ import annotations

import uuid
from typing import Any

from dmi_api.fhir.identifiers import row_meta

CATEGORIES = "http://terminology.hl7.org/CodeSystem/observation-category"
EXAM = {"system": CATEGORIES, "code": "exam", "display": "Exam"}
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
GESTATIONAL_AGE = {"system": LOINC, "code": "76516-4", "display": "Gestational age--at birth"}
# The API's own code systems: the milestones (and their observations' parts), support levels.
MILESTONES = "urn:dmi-api:fhir:CodeSystem:milestone"
SUPPORT_LEVELS = "urn:dmi-api:fhir:CodeSystem:support-level"
MILESTONE_NAMES = {
    "sitting_without_support": "Sitting without support",
    "standing_with_assistance": "Standing with assistance",
    "hands_and_knees_crawling": "Hands-and-knees crawling",
    "walking_with_assistance": "Walking with assistance",
    "standing_alone": "Standing alone",
    "walking_alone": "Walking alone",
    "head_control": "Head control",
    "rolling": "Rolling",
    "four_point": "Four-point position",
    "kneeling": "Kneeling",
    "transitions": "Transitions between positions",
    "stairs": "Stairs",
    "uneven_ground": "Walking on uneven ground",
}
SUPPORT_NAMES = {
    "none": "No support",
    "minimal": "Minimal support",
    "moderate": "Moderate support",
    "maximal": "Maximal support",
}


def gestational_age_id(child_id: uuid.UUID | str) -> str:
    """`{child_id}.gestational-age`."""
    return f"{child_id}.gestational-age"


def gestational_age(child: Any) -> dict[str, Any] | None:
    """The Observation of a stored child's gestational age at birth (a `Child` or a row with its
    columns), in days (32 weeks and 4 days is 228 d); None when it is not known."""
    if child.gestational_age_weeks is None:
        return None
    days = child.gestational_age_weeks * 7 + (child.gestational_age_days or 0)
    return {
        "resourceType": "Observation",
        "id": gestational_age_id(child.id),
        "meta": row_meta(child.version, child.updated_at),
        "status": "final",
        "category": [{"coding": [EXAM]}],
        "code": {"coding": [GESTATIONAL_AGE]},
        "subject": {"reference": f"Patient/{child.id}"},
        "effectiveDateTime": child.birth_date.isoformat(),
        "valueQuantity": {"value": days, "unit": "d", "system": UCUM, "code": "d"},
    }


def _component(code: str, display: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"code": {"coding": [{"system": MILESTONES, "code": code, "display": display}]}, **value}


def milestone_observation(row: Any) -> dict[str, Any]:
    """The Observation of a stored milestone (a `Milestone` or a row with its columns):
    `valueBoolean` true when achieved (on `achieved_on`), false when it was not yet (on
    `observed_on`, if recorded)."""
    code = {"system": MILESTONES, "code": row.milestone, "display": MILESTONE_NAMES[row.milestone]}
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(row.id),
        "meta": row_meta(row.version, row.updated_at),
        "status": "final",
        "category": [{"coding": [EXAM]}],
        "code": {"coding": [code]},
        "subject": {"reference": f"Patient/{row.child_id}"},
    }
    components: list[dict[str, Any]] = []
    if row.achieved_on is not None:
        resource["effectiveDateTime"] = row.achieved_on.isoformat()
        resource["valueBoolean"] = True
        if row.observed_on is not None:
            observed = {"valueDateTime": row.observed_on.isoformat()}
            components.append(_component("observed-on", "Observed on", observed))
    else:
        if row.observed_on is not None:
            resource["effectiveDateTime"] = row.observed_on.isoformat()
        resource["valueBoolean"] = False
    if row.support_needed is not None:
        level = {
            "system": SUPPORT_LEVELS,
            "code": row.support_needed,
            "display": SUPPORT_NAMES[row.support_needed],
        }
        support = {"valueCodeableConcept": {"coding": [level]}}
        components.append(_component("support-needed", "Support needed", support))
    if components:
        resource["component"] = components
    return resource
