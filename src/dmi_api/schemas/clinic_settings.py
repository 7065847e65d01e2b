"""The clinic's settings of the clinical rules, as the API shows and accepts them."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StrictInt, StringConstraints, field_validator
from pydantic.config import JsonDict

from dmi_api.schemas.base import RequestModel, with_examples

PercentileKey = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]?$")]
AimsScore = Annotated[StrictInt, Field(ge=0, le=58)]


class AimsNormRow(RequestModel):
    """Minimum AIMS total reaching each percentile at one age (whole months, corrected)."""

    age_months: StrictInt = Field(ge=0, le=24)
    # Pydantic states the key pattern as `patternProperties`, which alone lets any other key
    # through in JSON Schema; the server refuses them, so the contract says so.
    percentiles: dict[PercentileKey, AimsScore] = Field(
        min_length=1, max_length=99, json_schema_extra={"additionalProperties": False}
    )


class AimsNormTable(RequestModel):
    """A norm table the clinic is licensed to use; ages increasing, scores rising with rank."""

    name: str = Field(min_length=1, max_length=100)
    rows: list[AimsNormRow] = Field(min_length=1, max_length=25)


_EXAMPLE: JsonDict = {
    "preterm_below_weeks": 37,
    "correct_until_months": 24,
    "aims_norms": {
        "name": "Clinic licensed AIMS norms",
        "rows": [{"age_months": 4, "percentiles": {"10": 12, "50": 17, "90": 21}}],
    },
    "time_zone": "America/Los_Angeles",
    "crawling_expected": False,
    "progress_after_sessions": 3,
    "progress_full_percent": 80,
    "block_followup_weeks": 4,
}


MonthsCorrected = Annotated[StrictInt, Field(ge=1, le=24)]
Birthday = Annotated[StrictInt, Field(ge=1, le=18)]


def _increasing(values: list[int]) -> list[int]:
    if any(later <= earlier for earlier, later in pairwise(values)):
        raise ValueError("ages must be strictly increasing")
    return values


class DueScheduleSettings(RequestModel):
    """When each instrument falls due (`GET /v1/children/{id}/due`, rule `due-dates@2`)."""

    gmfm88_every_months: StrictInt = Field(default=6, ge=1, le=24)
    gmfm88_intensive_every_months: StrictInt = Field(
        default=3, ge=1, le=24, description="while an intensive block runs"
    )
    aims_every_months: StrictInt = Field(
        default=1, ge=1, le=6, description="until 18 months corrected or independent walking"
    )
    hine_at_months: list[MonthsCorrected] = Field(
        default=[3, 6, 9, 12], min_length=1, max_length=8, description="months corrected"
    )
    gmfcs_at_birthdays: list[Birthday] = Field(
        default=[2, 4, 6, 12],
        min_length=1,
        max_length=8,
        description="with a cerebral palsy diagnosis (G80) or a GMFCS rating",
    )
    dmi_every_months: StrictInt = Field(
        default=2, ge=1, le=12, description="the DMI goal period: a re-evaluation at its end"
    )

    _hine_increasing = field_validator("hine_at_months")(_increasing)
    _gmfcs_increasing = field_validator("gmfcs_at_birthdays")(_increasing)


class ClinicSettingsPut(RequestModel):
    """Every setting (PUT replaces them all; omitted ones return to their defaults)."""

    model_config = with_examples(_EXAMPLE)

    preterm_below_weeks: StrictInt = Field(
        default=37, ge=22, le=42, description="Correct the age of children born before this week."
    )
    correct_until_months: StrictInt = Field(
        default=24, ge=0, le=60, description="Correct the age until the child is this old."
    )
    aims_norms: AimsNormTable | None = Field(
        default=None, description="AIMS percentiles are reported only from this table."
    )
    time_zone: str = Field(
        default="UTC",
        min_length=1,
        max_length=64,
        description=(
            "IANA time zone name (e.g. `Europe/Madrid`). Adherence counts a session on its local "
            "date: that of the UTC offset sent with `started_at`, or, for records stored before "
            "offsets were kept, the date in this zone."
        ),
    )
    crawling_expected: StrictBool = Field(
        default=False,
        description=(
            "When true, hands-and-knees crawling never observed past its window is `late`; "
            "otherwise it is `not_observed` (about 4% of children never crawl)."
        ),
    )
    progress_after_sessions: StrictInt = Field(
        default=3,
        ge=1,
        le=20,
        description="DMI support points: sessions at a point before `ready_to_progress`.",
    )
    progress_full_percent: StrictInt = Field(
        default=80,
        ge=1,
        le=100,
        description=(
            "DMI support points: the percentage of full responses over those last sessions "
            "that makes an exercise `ready_to_progress`."
        ),
    )
    block_followup_weeks: StrictInt = Field(
        default=4,
        ge=1,
        le=26,
        description=(
            "Intensive blocks: a final GMFM-88 up to this many weeks after a block's last day "
            "is its `after` measure."
        ),
    )
    due_schedule: DueScheduleSettings = Field(
        default_factory=DueScheduleSettings,
        description="When assessments fall due; omitted, the published defaults.",
    )


class ClinicSettingsPublic(BaseModel):
    """The clinic's settings; `version` 0 means the defaults were never changed."""

    version: int
    preterm_below_weeks: int
    correct_until_months: int
    aims_norms: AimsNormTable | None
    time_zone: str
    crawling_expected: bool
    progress_after_sessions: int
    progress_full_percent: int
    block_followup_weeks: int
    due_schedule: DueScheduleSettings
    updated_at: datetime | None
