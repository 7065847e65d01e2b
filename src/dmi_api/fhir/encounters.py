"""A session record as a FHIR R4 Encounter (docs/fhir.md, "Encounter")."""

from __future__ import annotations

from typing import Any

from dmi_api.models.columns import iso_z
from dmi_api.schemas.session_records import SessionRecordPublic

ACT_CODES = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# The API's own code system for session types (no licensed text; docs/fhir.md).
SESSION_TYPES = "urn:dmi-api:fhir:CodeSystem:session-type"
TYPE_NAMES = {
    "dmi": "Dynamic Movement Intervention session",
    "dirfloortime": "DIRFloortime session",
    "parent_coaching": "Parent coaching",
    "evaluation": "Evaluation",
    "home_practice": "Home practice",
}
# Where it happened: FHIR's encounter class (v3 ActCode).
CLASSES = {
    "clinic": ("AMB", "ambulatory"),
    "home": ("HH", "home health"),
    "telehealth": ("VR", "virtual"),
}
# Attendance: a session that took place is finished; one that did not, cancelled.
STATUSES = {"attended": "finished", "cancelled": "cancelled", "no_show": "cancelled"}


def encounter(record: SessionRecordPublic, *, system: str = "") -> dict[str, Any]:
    """The Encounter resource of a session record (`system` is unused: no identifier)."""
    code, display = CLASSES[record.setting]
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(record.id),
        "meta": {"versionId": str(record.version), "lastUpdated": iso_z(record.updated_at)},
        "status": STATUSES[record.attendance],
        "class": {"system": ACT_CODES, "code": code, "display": display},
        "type": [
            {
                "coding": [
                    {
                        "system": SESSION_TYPES,
                        "code": record.type,
                        "display": TYPE_NAMES[record.type],
                    }
                ]
            }
        ],
        "subject": {"reference": f"Patient/{record.child_id}"},
        "period": {"start": iso_z(record.started_at), "end": iso_z(record.ended_at)},
        "length": {
            "value": record.duration_minutes,
            "unit": "min",
            "system": "http://unitsofmeasure.org",
            "code": "min",
        },
    }
    if record.practitioner_id is not None:
        resource["participant"] = [
            {"individual": {"reference": f"Practitioner/{record.practitioner_id}"}}
        ]
    return resource
