"""A child's caregivers as FHIR R4 RelatedPersons (docs/fhir.md, "RelatedPerson")."""

from __future__ import annotations

import uuid
from typing import Any

from dmi_api.fhir.identifiers import row_meta

# HL7 v3 RoleCode (FHIR's PatientRelationshipType); `other` has no code, only text.
ROLE_CODES = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
RELATIONSHIPS = {
    "mother": ("MTH", "mother"),
    "father": ("FTH", "father"),
    "parent": ("PRN", "parent"),
    "guardian": ("GUARD", "guardian"),
    "grandparent": ("GRPRN", "grandparent"),
    "sibling": ("SIB", "sibling"),
}
# The API's own code system: the child's main contact (`primary`, at most one per child).
CAREGIVER_ROLES = "urn:dmi-api:fhir:CodeSystem:caregiver-role"
PRIMARY = {"system": CAREGIVER_ROLES, "code": "primary", "display": "Primary contact"}


def related_person_id(child_id: uuid.UUID | str, index: int) -> str:
    """`{child_id}.caregiver.{index}`: the position in the child's list (replaced whole)."""
    return f"{child_id}.caregiver.{index}"


def related_persons(child: Any) -> list[dict[str, Any]]:
    """One RelatedPerson per caregiver of a stored child (a `Child` or a row with its columns),
    in the list's order."""
    return [_related_person(child, i, caregiver) for i, caregiver in enumerate(child.caregivers)]


def _related_person(child: Any, index: int, caregiver: dict[str, Any]) -> dict[str, Any]:
    kind = caregiver["relationship"]
    if kind in RELATIONSHIPS:
        code, display = RELATIONSHIPS[kind]
        relationship = [{"coding": [{"system": ROLE_CODES, "code": code, "display": display}]}]
    else:
        relationship = [{"text": kind}]
    if caregiver.get("primary"):
        relationship.append({"coding": [PRIMARY]})
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": related_person_id(child.id, index),
        "meta": row_meta(child.version, child.updated_at),
        "patient": {"reference": f"Patient/{child.id}"},
        "relationship": relationship,
        "name": [{"text": caregiver["name"]}],
    }
    telecom = [
        {"system": system, "value": caregiver[field]}
        for system, field in (("phone", "phone"), ("email", "email"))
        if caregiver.get(field)
    ]
    if telecom:
        resource["telecom"] = telecom
    return resource
