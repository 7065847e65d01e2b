"""Per-clinic settings of the clinical rules (corrected age thresholds, AIMS norm table)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import JSON_TYPE, timestamp_field


class ClinicSettings(TableModel, table=True):
    """One row per clinic that changed a default; absent means every default applies."""

    __tablename__ = "clinic_settings"
    __table_args__ = (
        CheckConstraint("preterm_below_weeks BETWEEN 22 AND 42", name="preterm_below_weeks"),
        CheckConstraint("correct_until_months BETWEEN 0 AND 60", name="correct_until_months"),
        CheckConstraint("progress_after_sessions BETWEEN 1 AND 20", name="progress_after_sessions"),
        CheckConstraint("progress_full_percent BETWEEN 1 AND 100", name="progress_full_percent"),
        CheckConstraint("block_followup_weeks BETWEEN 1 AND 26", name="block_followup_weeks"),
    )

    clinic_id: uuid.UUID = Field(foreign_key="clinic.id", primary_key=True)
    version: int = Field(default=1, ge=1)
    preterm_below_weeks: int = 37
    correct_until_months: int = 24
    # {"name": str, "rows": [{"age_months": int, "percentiles": {"10": min_total, ...}}]}
    aims_norms: dict[str, Any] | None = Field(default=None, sa_type=JSON_TYPE)
    # IANA name (validated on write): the local date of records without a kept UTC offset.
    time_zone: str = Field(default="UTC", max_length=64)
    # Past its window, a crawl never observed is `late` only when the clinic expects crawling.
    crawling_expected: bool = False
    # DMI support-point progression: `ready_to_progress` after this many sessions at a point
    # whose responses were at least this percentage full.
    progress_after_sessions: int = 3
    progress_full_percent: int = 80
    # Intensive blocks: how many weeks after a block's end a GMFM-88 still measures it.
    block_followup_weeks: int = 4
    # When assessments fall due (`schemas.clinic_settings.DueScheduleSettings`); None: defaults.
    due_schedule: dict[str, Any] | None = Field(default=None, sa_type=JSON_TYPE)
    updated_at: datetime = timestamp_field()
