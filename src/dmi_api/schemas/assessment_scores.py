"""The `scores` of each instrument, as `dmi_api.clinical.scoring*` computes them (read-only).

These models only document the responses (the OpenAPI document describes an assessment as a
union discriminated by `instrument`, so that generated clients get a type per instrument); the
server builds `scores` as the scorers return them. The rule names come from the scorers, and
tests/records/test_assessment_scores_schema.py validates real responses of every instrument
against the committed document.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from dmi_api.clinical.dirfloortime import FEDC_RULE
from dmi_api.clinical.scoring import FEAS_RULE, GMFCS_RULE
from dmi_api.clinical.scoring_aims import AIMS_RULE
from dmi_api.clinical.scoring_gmfm import GMFM66_RULE, GMFM88_RULE
from dmi_api.clinical.scoring_hine import HINE_RULE
from dmi_api.clinical.scoring_pdms import PDMS_RULES
from dmi_api.schemas.base import IsoDate
from dmi_api.schemas.instruments import GoalDimension

Rounded = Annotated[float, Field(description="rounded to 2 decimals")]
Count = Annotated[int, Field(ge=0)]


class _Scores(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RawOfMax(_Scores):
    """A raw score and its maximum."""

    raw: Count
    max: Count


class GMFM88Dimension(_Scores):
    """One GMFM-88 dimension: raw score, maximum, percent; NT and absent items count 0."""

    raw: Count
    max: Count
    percent: Rounded
    items_tested: Count


class GMFM88Dimensions(_Scores):
    """A lying & rolling, B sitting, C crawling & kneeling, D standing, E walking."""

    A: GMFM88Dimension
    B: GMFM88Dimension
    C: GMFM88Dimension
    D: GMFM88Dimension
    E: GMFM88Dimension


class GMFM88Change(_Scores):
    """The change since the child's previous final GMFM-88 (percentage points)."""

    previous_assessment_id: uuid.UUID
    previous_performed_on: IsoDate
    total_percent: Rounded | None
    goal_total_percent: Rounded | None = Field(
        description="null unless both assessments marked the same goal dimensions"
    )


class GMFM88Scores(_Scores):
    """GMFM-88 dimension percents, total and goal total percent."""

    rule: Literal[GMFM88_RULE]  # type: ignore[valid-type]
    dimensions: GMFM88Dimensions
    total_percent: Rounded
    goal_dimensions: list[GoalDimension]
    goal_total_percent: Rounded | None
    items_tested: Count
    items_missing: Count
    change: GMFM88Change | None = Field(
        default=None, description="null for the child's first final GMFM-88"
    )


class GMFM66Scores(_Scores):
    """The GMAE-2 values as entered (the GMFM-66 is not scored here)."""

    rule: Literal[GMFM66_RULE]  # type: ignore[valid-type]
    gmae_score: float | None
    standard_error: float | None
    ci95_low: float | None
    ci95_high: float | None
    items_tested: Count


class AIMSWindow(_Scores):
    """The least and the most mature item observed in a position (item numbers)."""

    from_item: Annotated[int, Field(ge=1)]
    to_item: Annotated[int, Field(ge=1)]


class AIMSPosition(_Scores):
    """One position's subscore with the manual's window credit: `raw` = `credited` (the items
    below the least mature item observed) + `observed` (the items recorded as observed)."""

    raw: Count
    max: Count
    observed: Count
    credited: Count
    window: AIMSWindow | None = Field(description="none when no item of the position was observed")


class AIMSPositions(_Scores):
    """Subscores per position."""

    prone: AIMSPosition
    supine: AIMSPosition
    sitting: AIMSPosition
    standing: AIMSPosition


class AIMSScores(_Scores):
    """AIMS subscores and total; the percentile from the clinic's norms, else as entered."""

    rule: Literal[AIMS_RULE]  # type: ignore[valid-type]
    positions: AIMSPositions
    total: Count
    max: Count
    percentile: Rounded | None
    percentile_source: Literal["clinic_norms", "entered"] | None


class HINESections(_Scores):
    """Section scores."""

    cranial_nerves: RawOfMax
    posture: RawOfMax
    movements: RawOfMax
    tone: RawOfMax
    reflexes_reactions: RawOfMax


class HINEOptimality(_Scores):
    """The comparison with the nearest published optimality reference (±14 days)."""

    reference_age_weeks: int
    reference_score: float
    below_reference: bool


class HINEScores(_Scores):
    """HINE section and global scores."""

    model_config = ConfigDict(populate_by_name=True)

    rule: Literal[HINE_RULE]  # type: ignore[valid-type]
    sections: HINESections
    global_: Count = Field(alias="global")
    max: Count
    items_tested: Count
    optimality: HINEOptimality | None


class PDMSSubtest(_Scores):
    """A subtest's raw total with the manual's basal and ceiling: `raw` = twice `credited` (items
    below the basal not administered) + the scores of the items up to the ceiling."""

    raw: Count
    items_scored: Count
    basal_item: int | None = Field(
        ge=1, description="the first of the first three consecutive items scored 2"
    )
    ceiling_item: int | None = Field(
        ge=1, description="the first of the first three consecutive items scored 0 past the basal"
    )
    credited: Count
    past_ceiling: Count = Field(description="items recorded past the ceiling, counted 0")
    basal_established: bool = Field(
        description="false: no basal and testing did not start at item 1; the raw total is of "
        "the items recorded only and is not the manual's"
    )


class PDMSScores(_Scores):
    """PDMS-2/PDMS-3 raw totals; standard scores and quotients as entered."""

    rule: Literal[PDMS_RULES["pdms2"], PDMS_RULES["pdms3"]]  # type: ignore[valid-type,name-defined]
    subtests: dict[str, PDMSSubtest]
    standard_scores: dict[str, int] | None
    gmq: int | None
    fmq: int | None
    tmq: int | None


class GMFCSScores(_Scores):
    """The GMFCS-E&R level and the child's age band."""

    rule: Literal[GMFCS_RULE]  # type: ignore[valid-type]
    level: int | None = Field(ge=1, le=5)
    level_roman: Literal["I", "II", "III", "IV", "V"] | None
    age_band: Literal["<2", "2-4", "4-6", "6-12", "12-18", ">=18"] | None


class FEDCScores(_Scores):
    """The Functional Emotional Developmental Capacity level (DIR) and its name."""

    rule: Literal[FEDC_RULE]  # type: ignore[valid-type]
    level: int | None = Field(ge=1, le=9)
    capacity: str | None
    advanced: bool | None = Field(description="levels 7-9, beyond the six core capacities")


class FEASScores(_Scores):
    """The FEAS raw total."""

    rule: Literal[FEAS_RULE]  # type: ignore[valid-type]
    total: Count
    items_tested: Count
