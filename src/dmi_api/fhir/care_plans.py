"""A prescription (exercise program) as a FHIR R4 CarePlan (docs/fhir.md, "CarePlan")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dmi_api.fhir.identifiers import instant, row_meta
from dmi_api.fhir.service_requests import EXERCISE_THERAPY, STATUSES

__all__ = ["SETTINGS", "STATUSES", "care_plan"]

# The API's own code system for where the program is carried out.
SETTINGS = "urn:dmi-api:fhir:CodeSystem:program-setting"
SETTING_NAMES = {
    "clinic": "Clinic program",
    "home": "Home program",
    "intensive": "Intensive program",
}


def care_plan(prescription: Any, items: Iterable[Any]) -> dict[str, Any]:
    """The CarePlan of a stored prescription (`Prescription` or row); `items`: its
    `PrescriptionItem` rows, removed ones included (left out here)."""
    period = {"start": prescription.period_start.isoformat()}
    if prescription.period_end is not None:
        period["end"] = prescription.period_end.isoformat()
    setting = {
        "system": SETTINGS,
        "code": prescription.setting,
        "display": SETTING_NAMES[prescription.setting],
    }
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(prescription.id),
        "meta": row_meta(prescription.version, prescription.updated_at),
        "status": STATUSES[prescription.status],
        "intent": "plan",
        "category": [{"coding": [EXERCISE_THERAPY]}, {"coding": [setting]}],
        "subject": {"reference": f"Patient/{prescription.child_id}"},
        "period": period,
        "created": instant(prescription.created_at),
        "author": {"reference": f"Practitioner/{prescription.prescriber_id}"},
    }
    if prescription.goal:
        resource["description"] = prescription.goal
    live = sorted((i for i in items if i.removed_at is None), key=lambda i: i.position)
    if live:
        resource["activity"] = [
            {"reference": {"reference": f"ServiceRequest/{item.id}"}} for item in live
        ]
    return resource
