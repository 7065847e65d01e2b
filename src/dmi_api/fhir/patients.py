"""A child as a FHIR R4 Patient (docs/fhir.md, "Patient")."""

from __future__ import annotations

from typing import Any

from dmi_api.fhir.identifiers import external_identifier
from dmi_api.models.columns import iso_z

SYSTEM_KIND = "mrn"


def patient(child: Any, *, system: str) -> dict[str, Any]:
    """The Patient resource of a stored child (a `Child` or a row with its columns; `system`:
    the clinic's MRN system)."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(child.id),
        "meta": {"versionId": str(child.version), "lastUpdated": iso_z(child.updated_at)},
        "active": child.status != "discharged",
    }
    if child.external_id:
        resource["identifier"] = [external_identifier(system, child.external_id, "MR")]
    names: list[dict[str, Any]] = [
        {"use": "official", "family": child.family_name, "given": [child.given_name]}
    ]
    if child.preferred_name:
        names.append({"use": "usual", "given": [child.preferred_name]})
    resource["name"] = names
    resource["gender"] = child.sex  # female | male | other | unknown: FHIR's AdministrativeGender
    resource["birthDate"] = child.birth_date.isoformat()
    return resource
