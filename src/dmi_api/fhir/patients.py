"""A child as a FHIR R4 Patient (docs/fhir.md, "Patient")."""

from __future__ import annotations

import uuid
from typing import Any

from dmi_api.schemas.children import ChildPublic

# The HL7 v2 identifier type of a medical record number.
IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"


def mrn_system(issuer: str, clinic_id: uuid.UUID) -> str:
    """The clinic's own identifier system for its MRNs (`external_id`): a URI under this API's
    base URL, one per clinic, since two clinics' MRNs may collide."""
    return f"{issuer}/fhir/sid/clinics/{clinic_id}/mrn"


def instant(value: Any) -> str:
    """A FHIR instant (UTC, `Z`)."""
    return str(value.isoformat()).replace("+00:00", "Z")


def patient(child: ChildPublic, *, mrn: str) -> dict[str, Any]:
    """The Patient resource of a child (`mrn`: the clinic's identifier system)."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(child.id),
        "meta": {"versionId": str(child.version), "lastUpdated": instant(child.updated_at)},
        "active": child.status != "discharged",
    }
    if child.external_id:
        resource["identifier"] = [
            {
                "use": "usual",
                "type": {"coding": [{"system": IDENTIFIER_TYPES, "code": "MR"}]},
                "system": mrn,
                "value": child.external_id,
            }
        ]
    names: list[dict[str, Any]] = [
        {"use": "official", "family": child.family_name, "given": [child.given_name]}
    ]
    if child.preferred_name:
        names.append({"use": "usual", "given": [child.preferred_name]})
    resource["name"] = names
    resource["gender"] = child.sex  # female | male | other | unknown: FHIR's AdministrativeGender
    resource["birthDate"] = child.birth_date.isoformat()
    return resource
