"""The clinic's own identifier systems: a URI under this API's base URL, one per clinic and
kind (two clinics' MRNs may collide)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from dmi_api.models.columns import iso_z

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


def instant(moment: datetime) -> str:
    """A stored timestamp as a FHIR instant: UTC with `Z` (a naive one, from SQLite, is UTC)."""
    return iso_z(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


def row_meta(version: int, updated_at: datetime) -> dict[str, str]:
    """A resource's `meta` from its source row: `versionId` and `lastUpdated`."""
    return {"versionId": str(version), "lastUpdated": instant(updated_at)}
