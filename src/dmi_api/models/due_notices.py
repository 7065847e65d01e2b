"""Due notices: which assessment due dates have had their `assessment.due` event, so that each
is announced once whatever the number of workers (the key is the notice)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import timestamp_field


class DueNotice(TableModel, table=True):
    """An instrument of a child fell due on a date, and its event was written."""

    __tablename__ = "due_notice"

    clinic_id: uuid.UUID = Field(primary_key=True)
    child_id: uuid.UUID = Field(primary_key=True)
    instrument: str = Field(primary_key=True, max_length=32)
    due_on: date = Field(primary_key=True)
    noticed_at: datetime = timestamp_field()
