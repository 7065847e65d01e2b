"""Computed views of a child's records: WHO milestone windows and the progress report."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from dmi_api.clinical.who_windows import WhoMilestone
from dmi_api.schemas.ages import AgePublic
from dmi_api.schemas.exercises import SupportPoint
from dmi_api.schemas.record_warnings import WARNINGS_DOC, RecordWarning
from dmi_api.schemas.session_records import SessionType

WindowStatus = Literal[
    "not_yet_expected",
    "within_window",
    "late",
    "not_observed",
    "skipped",
    "achieved_early",
    "achieved_within",
    "achieved_late",
]
WINDOW_STATUS_DOC = (
    "On corrected age (when it applies). Not achieved: `not_yet_expected` before the 1st "
    "percentile, `within_window` up to the 99th, `late` past it; but a hands-and-knees crawl "
    "never seen past its window is `skipped` in a child who stands or walks alone and "
    "`not_observed` otherwise (about 4% of children never crawl), `late` only when the clinic "
    "setting `crawling_expected` is true. Achieved: "
    "`achieved_early|achieved_within|achieved_late` by the age on `achieved_on`."
)


class MilestoneWindow(BaseModel):
    """One WHO milestone's window of achievement (WHO MGRS 2006, 1st-99th percentile)."""

    milestone: WhoMilestone
    window_from_months: float
    window_to_months: float
    status: WindowStatus = Field(description=WINDOW_STATUS_DOC)
    achieved_on: date | None
    age_months: float = Field(description="Age (corrected when it applies), at achievement or now.")
    rule: str = Field(description="`who-mgrs-2006@2`: the WHO MGRS 2006 windows, rule version 2.")
    warnings: list[RecordWarning] = Field(description=WARNINGS_DOC)


class InstrumentScore(BaseModel):
    """One assessment's headline score (the one a progress chart shows)."""

    assessment_id: uuid.UUID
    performed_on: date
    measure: str = Field(description="Which score `value` is, e.g. `total_percent`, `level`.")
    value: float | None
    warnings: list[RecordWarning] = Field(description=WARNINGS_DOC)


class InstrumentProgress(BaseModel):
    """The latest and previous final assessment of one instrument in the period."""

    instrument: str
    latest: InstrumentScore
    previous: InstrumentScore | None
    change: float | None = Field(description="latest - previous, when both have a value.")


class GmfmPoint(BaseModel):
    """One final GMFM-88 of the series."""

    assessment_id: uuid.UUID
    performed_on: date
    total_percent: float
    goal_total_percent: float | None
    age: AgePublic | None


class SessionTotals(BaseModel):
    """Sessions of one type in the period."""

    type: SessionType
    attended: int
    cancelled: int
    no_show: int
    minutes: int = Field(description="Minutes of attended sessions.")


class SupportPointUse(BaseModel):
    """The hold used for an exercise in one session."""

    on: date
    session_record_id: uuid.UUID
    support_point: SupportPoint
    response: str | None


SupportPointOnScale = Literal["trunk", "pelvis", "thighs", "knees", "ankles"]
PROGRESSION_RULE_DOC = "`support-progression@2`: docs/clinical-rules.md, DMI support points."


class SupportPointMove(BaseModel):
    """The hold moved down (distal) or back up (proximal) between two sessions."""

    on: date = Field(description="the local date of the first session at the new point")
    from_support_point: SupportPointOnScale
    to_support_point: SupportPointOnScale
    direction: Literal["down", "up"]


class ExerciseProgression(BaseModel):
    """The support point used for one exercise over time (DMI: from the trunk to the ankles)."""

    exercise_id: uuid.UUID
    code: str
    name: str
    category: str
    uses: list[SupportPointUse]
    current_support_point: SupportPointOnScale | None = Field(
        description="the latest hold on the trunk-to-ankles scale (`hands`, `other`: not on it)"
    )
    next_support_point: SupportPointOnScale | None = Field(
        description="the next, more distal point; null at the ankles"
    )
    sessions_at_current: int = Field(description="sessions since the hold last moved")
    full_response_percent_at_current: float | None = Field(
        description="full responses among those sessions' uses with a response (half up)"
    )
    moves: list[SupportPointMove]
    ready_to_progress: bool = Field(
        description="the last `progress_after_sessions` sessions at the current point reached "
        "`progress_full_percent` % full responses (clinic settings), and a more distal point "
        "exists"
    )
    rule: str = Field(description=PROGRESSION_RULE_DOC)


class CategoryProgression(BaseModel):
    """The support points of one category of exercises (e.g. sitting, standing)."""

    category: str
    exercises: int
    most_proximal_support_point: SupportPointOnScale | None
    most_distal_support_point: SupportPointOnScale | None
    ready_to_progress: int = Field(description="how many of its exercises are ready")


class SupportProgression(BaseModel):
    """A child's DMI support-point progression over a period: per exercise and per category."""

    child_id: uuid.UUID
    period_from: date
    period_to: date = Field(description="Exclusive, like every `to` of this API.")
    exercises: list[ExerciseProgression]
    categories: list[CategoryProgression]


class Dose(BaseModel):
    """A dose as occasions (an exercise done once, in any number of sets) and repetitions."""

    occasions: float
    repetitions: float


class DeliveredDose(BaseModel):
    """The dose recorded, also split by where it was done."""

    occasions: int
    repetitions: int
    by_source: dict[Literal["clinic", "home"], Dose]


class AdherencePercent(BaseModel):
    """Delivered / prescribed * 100, not capped; null without a schedule."""

    occasions: float | None
    repetitions: float | None


class ItemAdherence(BaseModel):
    """Adherence to one prescription item."""

    item_id: uuid.UUID
    exercise_id: uuid.UUID
    prescribed: Dose | None = Field(description="Null when the item has no weekly schedule.")
    delivered: DeliveredDose
    percent: AdherencePercent


class OverallAdherence(BaseModel):
    """The scheduled items together."""

    prescribed: Dose
    delivered: Dose
    percent: AdherencePercent


class AdherenceWindow(BaseModel):
    """The days counted: `from` inclusive, `to` exclusive, like every range of this API."""

    from_: date = Field(alias="from", description="First day counted (inclusive).")
    to: date = Field(description="The day after the last day counted (exclusive).")


class AdherenceReport(BaseModel):
    """Prescribed dose against the dose recorded in session records and home practice."""

    prescription_id: uuid.UUID
    status: str
    rule: str
    window: AdherenceWindow
    active_days: int = Field(description="Days of the window in the period and not paused.")
    paused_days: int
    items: list[ItemAdherence]
    overall: OverallAdherence


class BlockDose(BaseModel):
    """Days, sessions and minutes of an intensive block."""

    days: int
    sessions: int
    minutes: int


class BlockDelivered(BlockDose):
    """What the block's attended sessions delivered."""

    repetitions: int


class BlockAdherence(BaseModel):
    """Delivered as a percentage of planned (half up, 2 decimals; above 100 when exceeded)."""

    days_percent: float
    sessions_percent: float
    minutes_percent: float


class GmfmMeasure(BaseModel):
    """A final GMFM-88's total."""

    assessment_id: uuid.UUID
    performed_on: date
    total_percent: float


class BlockGmfm(BaseModel):
    """The GMFM-88 change across a block."""

    before: GmfmMeasure | None = Field(
        description="the last final GMFM-88 on or before the block's first day"
    )
    after: GmfmMeasure | None = Field(
        description="the first final GMFM-88 from the block's last day to `followup_weeks` "
        "weeks after it"
    )
    change: float | None = Field(description="after - before, when both exist")
    followup_weeks: int = Field(description="the clinic setting `block_followup_weeks`")


class BlockSummary(BaseModel):
    """An intensive block (a prescription with setting `intensive`): planned, delivered,
    adherence and the GMFM-88 change across it."""

    prescription_id: uuid.UUID
    child_id: uuid.UUID
    status: str
    first_day: date
    last_day: date | None = Field(
        description="its period's end, or the day before it was completed or discontinued"
    )
    completed: bool = Field(description="its last day is past")
    planned: BlockDose | None = Field(description="from the prescription's `block`; null without")
    delivered: BlockDelivered
    adherence: BlockAdherence | None
    gmfm88: BlockGmfm
    rule: str = Field(description="`intensive-block@2`: docs/clinical-rules.md")


class FedcPoint(BaseModel):
    """A final FEDC assessment: the capacity the child showed."""

    assessment_id: uuid.UUID
    performed_on: date
    level: int = Field(ge=1, le=9)
    capacity: str


class FloortimeWeek(BaseModel):
    """Caregiver Floortime in one week (Monday to Sunday, clipped to the period)."""

    week_from: date
    week_to: date = Field(description="inclusive")
    days: int
    minutes: int = Field(description="attended home practice naming no exercise")
    target_minutes: int | None = Field(description="days x the child's daily target")
    percent: float | None = Field(description="minutes / target, half up (2 decimals)")


class CoachingMonth(BaseModel):
    """Parent-coaching sessions attended in a calendar month."""

    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    sessions: int


class DirFloortime(BaseModel):
    """DIRFloortime over the period: FEDC levels, caregiver Floortime, parent coaching."""

    fedc_levels: list[FedcPoint]
    daily_target_minutes: int | None = Field(
        description="the child's `floortime_target`: sessions a day x minutes a session"
    )
    weeks: list[FloortimeWeek]
    parent_coaching: list[CoachingMonth]
    rule: str = Field(description="`dirfloortime@2`: docs/clinical-rules.md")


class ProgressReport(BaseModel):
    """What a therapist and a parent look at: scores, milestones, dose and sessions."""

    child_id: uuid.UUID
    period_from: date
    period_to: date = Field(description="Exclusive, like every `to` of this API.")
    age: AgePublic | None = Field(description="Ages on the last day of the period.")
    instruments: list[InstrumentProgress]
    gmfm88_series: list[GmfmPoint]
    milestones: list[MilestoneWindow]
    adherence: list[AdherenceReport] = Field(description="Each active or paused prescription.")
    sessions: list[SessionTotals]
    support_points: list[ExerciseProgression]
    support_point_categories: list[CategoryProgression]
    dirfloortime: DirFloortime
    intensive_blocks: list[BlockSummary] = Field(
        description="the intensive blocks that ran in the period, completed ones included"
    )
