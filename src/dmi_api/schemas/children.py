"""Children (the clinic's patients) as the API shows and accepts them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt, StringConstraints

from dmi_api.errors import FieldProblem
from dmi_api.schemas.ages import AgePublic
from dmi_api.schemas.base import (
    ExternalId,
    IsoDate,
    Name,
    RequestModel,
    ResourceMeta,
    ShortText,
    with_examples,
)
from dmi_api.schemas.clinical_dates import BirthDate
from dmi_api.schemas.patch import PatchModel

Sex = Literal["female", "male", "other", "unknown"]
ChildStatus = Literal["active", "on_hold", "discharged"]
Relationship = Literal["mother", "father", "parent", "guardian", "grandparent", "sibling", "other"]
# PATCH may not null these: an empty list clears diagnoses or caregivers.
REQUIRED = frozenset(
    {"given_name", "family_name", "birth_date", "sex", "status", "diagnoses", "caregivers"}
)
MAX_DIAGNOSES = 50
MAX_CAREGIVERS = 10

# ICD-10 format (WHO and ICD-10-CM): letter (U is reserved), two characters, then up to four
# after the dot, e.g. Q90.9, G80.1, P07.3, R62.50. The format is checked, not the code list.
Icd10Code = Annotated[
    str,
    StringConstraints(pattern=r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$"),
    Field(description="ICD-10 code in upper case, e.g. `Q90.9` (Down syndrome)"),
]
Phone = Annotated[
    str,
    StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$"),
    Field(description="E.164: `+`, country code and number, digits only (`+15551234567`)"),
]
# No whitespace, by any regex engine's meaning of `\s`: JSON Schema's (ECMA-262) leaves out the
# separators U+001C-U+001F and NEL, which the server's (Unicode White_Space) and Python's count.
_NOT_SPACE = r"[^@\s\x1c-\x1f\x85\ufeff]"
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=rf"^{_NOT_SPACE}+@{_NOT_SPACE}+\.{_NOT_SPACE}+$"),
]
GestationalWeeks = Annotated[
    StrictInt, Field(ge=22, le=44, description="completed weeks of gestation at birth (22-44)")
]
GestationalDays = Annotated[
    StrictInt,
    Field(ge=0, le=6, description="days beyond the completed weeks (0-6); only with weeks"),
]


class Diagnosis(RequestModel):
    """A diagnosis as an ICD-10 code."""

    code: Icd10Code
    text: ShortText | None = None


class Caregiver(RequestModel):
    """A parent or other caregiver (FHIR RelatedPerson on export)."""

    name: Name
    relationship: Relationship
    phone: Phone | None = None
    email: Email | None = None
    primary: StrictBool = Field(
        default=False, description="the main contact; at most one per child"
    )
    consent_to_contact: StrictBool = False


Diagnoses = Annotated[list[Diagnosis], Field(max_length=MAX_DIAGNOSES)]
Caregivers = Annotated[list[Caregiver], Field(max_length=MAX_CAREGIVERS)]

EXAMPLE: dict[str, Any] = {
    "given_name": "Mia",
    "family_name": "Lopez",
    "birth_date": "2024-03-01",
    "sex": "female",
    "gestational_age_weeks": 32,
    "gestational_age_days": 4,
    "external_id": "MRN-1042",
    "diagnoses": [{"code": "Q90.9", "text": "Down syndrome"}],
    "caregivers": [
        {
            "name": "Sara Lopez",
            "relationship": "mother",
            "phone": "+15551234567",
            "primary": True,
            "consent_to_contact": True,
        }
    ],
}


class FloortimeTarget(RequestModel):
    """The caregiver's daily DIRFloortime: sessions a day (the therapist's) of 20-30 minutes."""

    sessions_per_day: StrictInt = Field(ge=1, le=12)
    minutes_per_session: StrictInt = Field(default=20, ge=10, le=60)


FLOORTIME_DOC = (
    "the caregiver's daily DIRFloortime target, against which the progress report weighs the "
    "Floortime minutes of home practice"
)


class ChildCreate(RequestModel):
    """A new child."""

    model_config = with_examples(EXAMPLE)

    given_name: Name
    family_name: Name
    preferred_name: Name | None = None
    birth_date: BirthDate = Field(
        description="not in the future and not before 1990-01-01 (a pediatric caseload)"
    )
    sex: Sex
    gestational_age_weeks: GestationalWeeks | None = None
    gestational_age_days: GestationalDays | None = None
    external_id: ExternalId | None = Field(
        default=None, description="the EHR's MRN; unique in the clinic, tombstones included"
    )
    diagnoses: Diagnoses = Field(default_factory=list, description="at most 50")
    caregivers: Caregivers = Field(default_factory=list, description="at most 10")
    floortime_target: FloortimeTarget | None = Field(default=None, description=FLOORTIME_DOC)
    status: ChildStatus = "active"


class ChildReplace(ChildCreate):
    """The whole child for `PUT …/by-external-id/{external_id}`: omitted optional fields are
    cleared; `status` is required so that a replacement never silently reactivates a child."""

    model_config = with_examples({**EXAMPLE, "status": "active"})

    external_id: ExternalId | None = Field(
        default=None, description="optional; when sent it must equal the one in the path"
    )
    status: ChildStatus


class ChildUpsert(ChildReplace):
    """The whole child for `PUT /v1/children/by-external-id`: its `external_id` in the body,
    out of the URL."""

    external_id: ExternalId = Field(description="the EHR's MRN: the child created or replaced")


class ChildPatch(PatchModel):
    """Changes to a child: only the fields sent are changed (lists are replaced whole)."""

    NOT_NULL = REQUIRED

    model_config = with_examples({"status": "on_hold"})

    given_name: Name | None = None
    family_name: Name | None = None
    preferred_name: Name | None = None
    birth_date: BirthDate | None = None
    sex: Sex | None = None
    gestational_age_weeks: GestationalWeeks | None = None
    gestational_age_days: GestationalDays | None = None
    external_id: ExternalId | None = None
    diagnoses: Diagnoses | None = None
    caregivers: Caregivers | None = None
    floortime_target: FloortimeTarget | None = Field(
        default=None, description=FLOORTIME_DOC + "; null removes it"
    )
    status: ChildStatus | None = None


class DiagnosisPublic(BaseModel):
    """A diagnosis as stored."""

    code: str
    text: str | None = None


class CaregiverPublic(BaseModel):
    """A caregiver as stored."""

    name: str
    relationship: Relationship
    phone: str | None = None
    email: str | None = None
    primary: StrictBool = False
    consent_to_contact: StrictBool = False


class ChildPublic(ResourceMeta):
    """A child."""

    given_name: str
    family_name: str
    preferred_name: str | None
    birth_date: IsoDate
    sex: Sex
    gestational_age_weeks: int | None
    gestational_age_days: int | None
    external_id: str | None
    diagnoses: list[DiagnosisPublic]
    caregivers: list[CaregiverPublic]
    floortime_target: FloortimeTarget | None = Field(description=FLOORTIME_DOC)
    status: ChildStatus
    age: AgePublic | None = Field(
        default=None,
        description="Ages as of today in the clinic's time zone (clinic settings `time_zone`).",
    )


def consistency_errors(
    values: Mapping[str, Any], *, sent: frozenset[str] = frozenset()
) -> list[FieldProblem]:
    """Rules across fields, checked on the child as it would be stored (after a PATCH too)."""
    errors: list[FieldProblem] = []
    if (
        values.get("gestational_age_days") is not None
        and values.get("gestational_age_weeks") is None
    ):
        # Point at what the caller sent: clearing weeks is the mistake when days were kept.
        field = (
            "gestational_age_weeks"
            if "gestational_age_weeks" in sent and "gestational_age_days" not in sent
            else "gestational_age_days"
        )
        errors.append(
            FieldProblem(
                f"#/{field}", "Gestational days need gestational weeks.", "days_without_weeks"
            )
        )
    caregivers: Sequence[Mapping[str, Any]] = values.get("caregivers") or []
    primaries = [index for index, caregiver in enumerate(caregivers) if caregiver.get("primary")]
    errors += [
        FieldProblem(
            f"#/caregivers/{index}/primary", "At most one caregiver is primary.", "primary_twice"
        )
        for index in primaries[1:]
    ]
    seen: set[str] = set()
    for index, diagnosis in enumerate(values.get("diagnoses") or []):
        if diagnosis["code"] in seen:
            errors.append(
                FieldProblem(
                    f"#/diagnoses/{index}/code", "This code is listed twice.", "duplicate_code"
                )
            )
        seen.add(diagnosis["code"])
    return errors
