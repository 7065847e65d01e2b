"""Exercise prescriptions (programs) and their dosed items, as the API shows and accepts them."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints
from pydantic.config import JsonDict

from dmi_api.schemas.base import IsoDate, RequestModel, ResourceMeta, with_examples
from dmi_api.schemas.exercises import SupportPoint
from dmi_api.schemas.patch import PatchModel

Setting = Literal["clinic", "home", "intensive"]
Status = Literal["draft", "active", "paused", "completed", "discontinued"]
InitialStatus = Literal["draft", "active"]
Side = Literal["left", "right", "bilateral", "n/a"]
REQUIRED = frozenset({"prescriber_id", "setting", "period_start", "status", "items"})
MAX_ITEMS = 50

Goal = Annotated[str, StringConstraints(max_length=2000)]
Instructions = Annotated[
    str,
    StringConstraints(max_length=2000),
    Field(description="Free-text instructions for the therapist or caregiver (≤ 2000)."),
]


class PrescriptionItemCreate(RequestModel):
    """One exercise of the program with its dose (the shape of FHIR `Timing.repeat`)."""

    exercise_id: uuid.UUID = Field(description="An exercise of the clinic's library.")
    repetitions: StrictInt = Field(ge=1, le=100, description="Repetitions per set, 1 to 100.")
    sets: StrictInt = Field(default=1, ge=1, le=20, description="Sets per practice, 1 to 20.")
    hold_seconds: StrictInt | None = Field(
        default=None, ge=0, le=600, description="Seconds each position is held, 0 to 600."
    )
    support_point: SupportPoint | None = Field(
        default=None,
        description="Where the therapist holds; null means the exercise's default support point.",
    )
    side: Side = "n/a"
    times_per_day: StrictInt | None = Field(
        default=None,
        ge=1,
        le=10,
        description="Practices per day, 1 to 10 (Timing.repeat.frequency).",
    )
    days_per_week: StrictInt | None = Field(
        default=None, ge=1, le=7, description="Practice days per week, 1 to 7."
    )
    instructions: Instructions | None = None


class PrescriptionItemReplace(PrescriptionItemCreate):
    """A whole item of a PATCH: with the `id` of a current item it keeps that id, else it is new."""

    id: uuid.UUID | None = Field(
        default=None, description="The id of an item of this prescription to keep; omit for new."
    )


_ITEM_EXAMPLE: JsonDict = {
    "exercise_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "repetitions": 5,
    "sets": 2,
    "hold_seconds": 10,
    "support_point": "pelvis",
    "side": "bilateral",
    "times_per_day": 2,
    "days_per_week": 5,
    "instructions": "Stop when the child tires.",
}


class BlockPlan(RequestModel):
    """An intensive block's plan: treatment days, sessions a day and minutes a session."""

    days: StrictInt = Field(ge=1, le=120, description="planned treatment days")
    sessions_per_day: StrictInt = Field(ge=1, le=6)
    minutes_per_session: StrictInt = Field(ge=5, le=480)


BLOCK_DOC = (
    "An intensive block's plan (`setting: intensive` only; 422 at `#/block` otherwise): its "
    "summary is `GET /v1/prescriptions/{id}/block-summary`."
)


class PrescriptionCreate(RequestModel):
    """A new exercise program for a child (1 to 50 items, stored all or nothing)."""

    model_config = with_examples(
        {
            "child_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "prescriber_id": "16fd2706-8baf-433b-82eb-8c7fada847da",
            "setting": "home",
            "status": "active",
            "period_start": "2025-03-01",
            "period_end": "2025-04-30",
            "goal": "Sit without support for 10 seconds.",
            "items": [_ITEM_EXAMPLE],
        }
    )

    child_id: uuid.UUID
    prescriber_id: uuid.UUID = Field(description="The prescribing practitioner.")
    setting: Setting
    status: InitialStatus = Field(default="draft", description="A new program is draft or active.")
    period_start: IsoDate
    period_end: IsoDate | None = Field(
        default=None, description="The program's last day (inclusive); on or after `period_start`."
    )
    goal: Goal | None = None
    block: BlockPlan | None = Field(default=None, description=BLOCK_DOC)
    items: list[PrescriptionItemCreate] = Field(min_length=1, max_length=MAX_ITEMS)


class PrescriptionPatch(PatchModel):
    """Changes to a prescription; `items`, when sent, replaces the whole list."""

    NOT_NULL = REQUIRED

    model_config = with_examples(
        {"status": "paused", "status_date": "2025-03-10"},
        {
            "items": [
                {"id": "9b2d6a0e-5f0e-4c55-9d0b-0c4c0f1f3e11", "repetitions": 6},
                _ITEM_EXAMPLE,
            ]
        },
    )

    prescriber_id: uuid.UUID | None = None
    setting: Setting | None = None
    status: Status | None = Field(
        default=None,
        description=(
            "draft→active|discontinued; active→paused|completed|discontinued; "
            "paused→active|completed|discontinued; completed and discontinued are final. "
            "Another change is 422 at `#/status`."
        ),
    )
    status_date: IsoDate | None = Field(
        default=None,
        description=(
            "When a status change takes effect (default today, the clinic's date in its "
            "`time_zone`): opens or closes a pause; "
            "`completed` or `discontinued` from this day on."
        ),
    )
    period_start: IsoDate | None = None
    period_end: IsoDate | None = None
    goal: Goal | None = None
    block: BlockPlan | None = Field(default=None, description=BLOCK_DOC + " Null removes it.")
    items: list[PrescriptionItemReplace] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ITEMS,
        description=(
            "The whole new list: items with an existing `id` keep it, items without get a new "
            "one, omitted items are removed (sessions that recorded them stay valid)."
        ),
    )


class PauseSpan(BaseModel):
    """A span during which the program was paused (`end` null while paused)."""

    start: IsoDate = Field(description="The first paused day (inclusive).")
    end: IsoDate | None = Field(
        description="The day the program resumed or ended (exclusive): the last paused day is "
        "the day before; null while paused."
    )


class PrescriptionItemPublic(BaseModel):
    """One dosed exercise of a prescription; `id` is stable across edits."""

    id: uuid.UUID
    exercise_id: uuid.UUID
    repetitions: int | None
    sets: int | None
    hold_seconds: int | None
    support_point: SupportPoint | None
    side: Side
    times_per_day: int | None
    days_per_week: int | None
    instructions: str | None


class PrescriptionPublic(ResourceMeta):
    """An exercise program prescribed to a child, its items in order."""

    child_id: uuid.UUID
    prescriber_id: uuid.UUID
    setting: Setting
    status: Status
    period_start: IsoDate
    period_end: IsoDate | None
    goal: str | None
    block: BlockPlan | None = Field(description="an intensive block's plan, if any")
    pauses: list[PauseSpan]
    ended_on: IsoDate | None = Field(
        description="the day it was completed or discontinued (null while it runs); its "
        "adherence counts the days before it, in every period it ran in"
    )
    items: list[PrescriptionItemPublic]
