"""A child's diagnoses (ICD-10) as FHIR R4 Conditions (docs/fhir.md, "Condition")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from typing import Any

from dmi_api.fhir.identifiers import row_meta

# The API stores ICD-10 codes without saying which edition: a code in the WHO format (three
# characters, at most one digit after the dot) is WHO ICD-10's, any other ICD-10-CM's.
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
_WHO_FORMAT = re.compile(r"^[A-Z][0-9]{2}(\.[0-9])?$")
CLINICAL_STATUSES = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CATEGORIES = "http://terminology.hl7.org/CodeSystem/condition-category"
ACTIVE = {"system": CLINICAL_STATUSES, "code": "active", "display": "Active"}
PROBLEM_LIST_ITEM = {
    "system": CATEGORIES,
    "code": "problem-list-item",
    "display": "Problem List Item",
}


def icd10_system(code: str) -> str:
    """The FHIR system of a stored ICD-10 code."""
    return ICD10 if _WHO_FORMAT.match(code) else ICD10_CM


# The token's length: 16 base32 characters (80 bits) keep the id within FHIR's 64 characters
# (36 + 11 + 16); a child lists at most 50 codes, so two of them never share a token.
TOKEN_LENGTH = 16


def condition_id(child_id: uuid.UUID | str, code: str, key: bytes) -> str:
    """`{child_id}.diagnosis.{token}`: the token an HMAC-SHA256, under the clinic's own random
    key, of the child and the code (a code is listed once per child). The id names no
    diagnosis (it is in URLs, `fullUrl`s, export lines and references) and cannot be matched
    against the ~70k ICD-10 codes without the key; it stays while the diagnosis stays."""
    digest = hmac.new(key, f"{child_id}|{code}".encode(), hashlib.sha256).digest()
    token = base64.b32encode(digest).decode("ascii").lower()[:TOKEN_LENGTH]
    return f"{child_id}.diagnosis.{token}"


def conditions(child: Any, *, key: bytes) -> list[dict[str, Any]]:
    """One Condition per diagnosis of a stored child (a `Child` or a row with its columns): an
    active item of its problem list; `key`: the clinic's key of its ids (`condition_id`)."""
    resources: list[dict[str, Any]] = []
    for diagnosis in child.diagnoses:
        code: str = diagnosis["code"]
        concept: dict[str, Any] = {"coding": [{"system": icd10_system(code), "code": code}]}
        if diagnosis.get("text"):
            concept["text"] = diagnosis["text"]
        resources.append(
            {
                "resourceType": "Condition",
                "id": condition_id(child.id, code, key),
                "meta": row_meta(child.version, child.updated_at),
                "clinicalStatus": {"coding": [ACTIVE]},
                "category": [{"coding": [PROBLEM_LIST_ITEM]}],
                "code": concept,
                "subject": {"reference": f"Patient/{child.id}"},
            }
        )
    return resources
