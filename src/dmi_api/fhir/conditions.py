"""A child's diagnoses (ICD-10) as FHIR R4 Conditions (docs/fhir.md, "Condition")."""

from __future__ import annotations

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


def condition_id(child_id: uuid.UUID | str, code: str) -> str:
    """`{child_id}.diagnosis.{code}` (a code is listed once per child)."""
    return f"{child_id}.diagnosis.{code}"


def conditions(child: Any) -> list[dict[str, Any]]:
    """One Condition per diagnosis of a stored child (a `Child` or a row with its columns): an
    active item of its problem list."""
    resources: list[dict[str, Any]] = []
    for diagnosis in child.diagnoses:
        code: str = diagnosis["code"]
        concept: dict[str, Any] = {"coding": [{"system": icd10_system(code), "code": code}]}
        if diagnosis.get("text"):
            concept["text"] = diagnosis["text"]
        resources.append(
            {
                "resourceType": "Condition",
                "id": condition_id(child.id, code),
                "meta": row_meta(child.version, child.updated_at),
                "clinicalStatus": {"coding": [ACTIVE]},
                "category": [{"coding": [PROBLEM_LIST_ITEM]}],
                "code": concept,
                "subject": {"reference": f"Patient/{child.id}"},
            }
        )
    return resources
