"""Session records (therapy sessions and home practice), signing and amendments."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from dmi_api.schemas.base import (
    IsoAwareDateTime,
    IsoDateTime,
    LongText,
    RequestModel,
    ResourceMeta,
    with_examples,
)
from dmi_api.schemas.exercises import SupportPoint
from dmi_api.schemas.patch import PatchModel

SessionType = Literal["dmi", "dirfloortime", "parent_coaching", "evaluation", "home_practice"]
SessionSetting = Literal["clinic", "home", "telehealth"]
Attendance = Literal["attended", "cancelled", "no_show"]
ChildResponse = Literal["none", "partial", "full"]
REQUIRED = frozenset(
    {"type", "setting", "started_at", "duration_minutes", "attendance", "caregiver_present"}
)
MAX_EXERCISES = 100
MAX_DURATION = 720
# Clocks of tablets in the field drift, and sessions get logged ahead of time zones: one day.
FUTURE_SLACK = timedelta(days=1)


def _not_far_future(value: datetime) -> datetime:
    if value > datetime.now(UTC) + FUTURE_SLACK:
        raise PydanticCustomError(
            "datetime_in_future", "The start must not be more than one day in the future."
        )
    # Kept with the client's offset: the record's local date is counted (the services store the
    # instant in UTC and the offset beside it).
    return value


StartedAt = Annotated[
    IsoAwareDateTime,
    AfterValidator(_not_far_future),
    Field(
        description=(
            "When the session started; with a UTC offset, at most 1 day ahead. Adherence counts "
            "the session on its local date in that offset."
        )
    ),
]
EndedAt = Annotated[
    IsoAwareDateTime,
    Field(
        description=(
            "When it ended (instead of `duration_minutes`): after `started_at`; the server "
            "derives the duration (rounded to minutes, 1 to 720)."
        )
    ),
]
Duration = Annotated[StrictInt, Field(ge=1, le=MAX_DURATION, description="Minutes, 1 to 720.")]
ExerciseNote = Annotated[
    str, StringConstraints(max_length=2000), Field(description="At most 2000 characters.")
]
AmendmentReason = Annotated[
    str, StringConstraints(min_length=1, max_length=500), Field(description="1 to 500 characters.")
]
AmendmentText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=10_000),
    Field(description="1 to 10000 characters."),
]


class PerformedExercise(RequestModel):
    """One exercise as performed in the session."""

    exercise_id: uuid.UUID = Field(description="An exercise of the clinic's library.")
    prescription_item_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "The item of one of this child's prescriptions being delivered (not removed); its "
            "exercise must be `exercise_id`."
        ),
    )
    repetitions: StrictInt | None = Field(default=None, ge=0, le=500, description="0 to 500.")
    sets: StrictInt | None = Field(default=None, ge=0, le=50, description="0 to 50.")
    support_point: SupportPoint | None = Field(default=None, description="Where the hold was.")
    response: ChildResponse | None = Field(
        default=None, description="How much of the desired response the child showed."
    )
    note: ExerciseNote | None = None


class SoapNotes(RequestModel):
    """SOAP notes, each at most 10000 characters."""

    subjective: LongText | None = None
    objective: LongText | None = None
    assessment: LongText | None = None
    plan: LongText | None = None


_EXAMPLE: JsonDict = {
    "child_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "practitioner_id": "16fd2706-8baf-433b-82eb-8c7fada847da",
    "type": "dmi",
    "setting": "clinic",
    "started_at": "2025-03-04T09:00:00+01:00",
    "duration_minutes": 50,
    "attendance": "attended",
    "caregiver_present": True,
    "exercises": [
        {
            "exercise_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
            "prescription_item_id": "9b2d6a0e-5f0e-4c55-9d0b-0c4c0f1f3e11",
            "repetitions": 5,
            "sets": 2,
            "support_point": "pelvis",
            "response": "partial",
            "note": "Head back to midline on the 4th repetition.",
        }
    ],
    "notes": {"subjective": "Slept well.", "plan": "Move the hold to the thighs next week."},
}


class SessionRecordCreate(RequestModel):
    """A session as it happened: send `duration_minutes` or `ended_at` (not both)."""

    model_config = with_examples(_EXAMPLE)

    child_id: uuid.UUID
    practitioner_id: uuid.UUID | None = Field(
        default=None, description="Required unless `type` is home_practice."
    )
    type: SessionType
    setting: SessionSetting
    started_at: StartedAt
    duration_minutes: Duration | None = None
    ended_at: EndedAt | None = None
    attendance: Attendance = "attended"
    caregiver_present: StrictBool = False
    exercises: list[PerformedExercise] = Field(
        default_factory=list, max_length=MAX_EXERCISES, description="0 to 100, stored all or none."
    )
    notes: SoapNotes = Field(default_factory=SoapNotes)


class SessionRecordPatch(PatchModel):
    """Changes to an unsigned record; `exercises` and `notes`, when sent, replace the old ones."""

    NOT_NULL = REQUIRED | {"exercises", "notes"}

    model_config = with_examples({"duration_minutes": 45, "attendance": "attended"})

    practitioner_id: uuid.UUID | None = None
    type: SessionType | None = None
    setting: SessionSetting | None = None
    started_at: StartedAt | None = None
    duration_minutes: Duration | None = None
    ended_at: EndedAt | None = None
    attendance: Attendance | None = None
    caregiver_present: StrictBool | None = None
    exercises: list[PerformedExercise] | None = Field(default=None, max_length=MAX_EXERCISES)
    notes: SoapNotes | None = None


class SignRequest(RequestModel):
    """Sign a record: it can then only be amended."""

    model_config = with_examples({"signed_by": "16fd2706-8baf-433b-82eb-8c7fada847da"})

    signed_by: uuid.UUID = Field(description="The signing practitioner of the clinic.")


class AmendmentCreate(RequestModel):
    """An addendum to a signed record (the original stays as signed)."""

    model_config = with_examples(
        {
            "reason": "Late entry",
            "text": "Caregiver reported a fall the evening before the session.",
            "author_id": "16fd2706-8baf-433b-82eb-8c7fada847da",
        }
    )

    reason: AmendmentReason
    text: AmendmentText
    author_id: uuid.UUID | None = Field(default=None, description="A practitioner of the clinic.")


class PerformedExercisePublic(BaseModel):
    """One exercise as performed."""

    exercise_id: uuid.UUID
    prescription_item_id: uuid.UUID | None = None
    repetitions: int | None = None
    sets: int | None = None
    support_point: SupportPoint | None = None
    response: ChildResponse | None = None
    note: str | None = None


class SoapNotesPublic(BaseModel):
    """SOAP notes."""

    subjective: str | None = None
    objective: str | None = None
    assessment: str | None = None
    plan: str | None = None


class AmendmentPublic(BaseModel):
    """An addendum to a signed record."""

    id: uuid.UUID
    author_id: uuid.UUID | None
    reason: str
    text: str
    created_at: IsoDateTime


class SessionRecordPublic(ResourceMeta):
    """A session record; when signed, the fields are as signed and `amendments` add to them."""

    child_id: uuid.UUID
    practitioner_id: uuid.UUID | None
    type: SessionType
    setting: SessionSetting
    started_at: IsoDateTime
    ended_at: IsoDateTime = Field(description="`started_at` + `duration_minutes`.")
    duration_minutes: int
    attendance: Attendance
    caregiver_present: StrictBool
    exercises: list[PerformedExercisePublic]
    notes: SoapNotesPublic
    signed_at: IsoDateTime | None
    signed_by: uuid.UUID | None
    amendments: list[AmendmentPublic] = Field(description="Oldest first.")
