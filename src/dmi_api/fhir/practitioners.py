"""A practitioner as a FHIR R4 Practitioner (docs/fhir.md, "Practitioner")."""

from __future__ import annotations

from typing import Any

from dmi_api.fhir.identifiers import external_identifier
from dmi_api.models.columns import iso_z

SYSTEM_KIND = "practitioner"
# The API's own code system for disciplines (no licensed text; docs/fhir.md).
DISCIPLINES = "urn:dmi-api:fhir:CodeSystem:discipline"
DISCIPLINE_NAMES = {
    "PT": "Physical therapist",
    "OT": "Occupational therapist",
    "SLP": "Speech-language pathologist",
    "other": "Other discipline",
}


def practitioner(row: Any, *, system: str) -> dict[str, Any]:
    """The Practitioner resource of a stored practitioner (a `Practitioner` or a row with its
    columns; `system`: the clinic's practitioner identifier system)."""
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(row.id),
        "meta": {"versionId": str(row.version), "lastUpdated": iso_z(row.updated_at)},
        "active": row.active,
    }
    if row.external_id:
        resource["identifier"] = [external_identifier(system, row.external_id, "PRN")]
    resource["name"] = [{"use": "official", "text": row.name}]
    qualification: dict[str, Any] = {
        "code": {
            "coding": [
                {
                    "system": DISCIPLINES,
                    "code": row.discipline,
                    "display": DISCIPLINE_NAMES[row.discipline],
                }
            ]
        }
    }
    if row.credentials:
        qualification["code"]["text"] = row.credentials
    resource["qualification"] = [qualification]
    return resource
