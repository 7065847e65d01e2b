"""The clinic's own identifier systems: a URI under this API's base URL, one per clinic and
kind (two clinics' MRNs may collide)."""

from __future__ import annotations

import uuid
from typing import Any

# The HL7 v2 identifier types (table 0203).
IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"


def identifier_system(issuer: str, clinic_id: uuid.UUID, kind: str) -> str:
    """`{issuer}/fhir/sid/clinics/{clinic}/{kind}` (`mrn` for patients, `practitioner`)."""
    return f"{issuer}/fhir/sid/clinics/{clinic_id}/{kind}"


def external_identifier(system: str, value: str, type_code: str) -> dict[str, Any]:
    """An `external_id` as a FHIR Identifier of the clinic's system."""
    return {
        "use": "usual",
        "type": {"coding": [{"system": IDENTIFIER_TYPES, "code": type_code}]},
        "system": system,
        "value": value,
    }
