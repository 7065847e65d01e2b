"""A session record as a FHIR R4 Encounter (docs/fhir.md, "Encounter")."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from dmi_api.models.columns import iso_z

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


def encounter(record: Any, *, system: str = "") -> dict[str, Any]:
    """The Encounter resource of a stored session record (a `SessionRecord` or a row with its
    columns; `system` is unused: no identifier)."""
    code, display = CLASSES[record.setting]
    started = record.started_at
    if started.tzinfo is None:  # SQLite hands timestamps back naive; they are UTC
        started = started.replace(tzinfo=UTC)
    ended = started + timedelta(minutes=record.duration_minutes)
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
        "period": {"start": iso_z(started), "end": iso_z(ended)},
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
