"""What falls due, as the API shows it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from dmi_api.schemas.common import CURSOR_MAX_LENGTH, CURSOR_MIN_LENGTH, CURSOR_PATTERN

DueInstrument = Literal["gmfm88", "aims", "hine", "gmfcs", "dmi_evaluation"]
DueStatus = Literal["overdue", "due", "scheduled", "not_applicable"]
STATUS_DOC = (
    "`overdue` (before today), `due` (today to 14 days ahead), `scheduled` (later), "
    "`not_applicable` (no date: e.g. AIMS after independent walking)"
)


class DueItem(BaseModel):
    """One instrument's next assessment (rule `due-dates@2`)."""

    instrument: DueInstrument
    due_on: date | None
    status: DueStatus = Field(description=STATUS_DOC)
    last_performed_on: date | None = Field(description="the last final assessment of it")
    basis: str = Field(description="why this date, e.g. `6 months after the last`")
    rule: str = Field(description="`due-dates@2`: docs/clinical-rules.md")


class ChildDue(BaseModel):
    """A child's next assessments, per instrument, on the clinic's date."""

    child_id: uuid.UUID
    as_of: date = Field(description="today in the clinic's time zone")
    items: list[DueItem]


class ClinicDueItem(DueItem):
    """An instrument of a child falling due."""

    child_id: uuid.UUID


class DuePage(BaseModel):
    """A page of the clinic's worklist, by due date."""

    as_of: date = Field(description="today in the clinic's time zone")
    data: list[ClinicDueItem]
    next_cursor: str | None = Field(
        pattern=CURSOR_PATTERN, min_length=CURSOR_MIN_LENGTH, max_length=CURSOR_MAX_LENGTH
    )
