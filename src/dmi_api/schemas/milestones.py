"""Gross-motor milestone observations as the API shows and accepts them."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from dmi_api.clinical.who_windows import WhoMilestone
from dmi_api.schemas.ages import AgePublic
from dmi_api.schemas.base import IsoDate, LongText, RequestModel, ResourceMeta, with_examples
from dmi_api.schemas.clinical_dates import PastDate
from dmi_api.schemas.patch import PatchModel
from dmi_api.schemas.record_warnings import WARNINGS_DOC, RecordWarning

# The six WHO MGRS milestones first, then the other DMI targets.
MilestoneCode = Literal[
    WhoMilestone,
    "head_control",
    "rolling",
    "four_point",
    "kneeling",
    "transitions",
    "stairs",
    "uneven_ground",
]
SupportNeeded = Literal["none", "minimal", "moderate", "maximal"]
REQUIRED = frozenset({"milestone"})

ACHIEVED_DOC = "when first achieved; null records 'not yet'. Not before birth, not in the future"
OBSERVED_DOC = "when observed; not before birth, not in the future, not before `achieved_on`"


class MilestoneCreate(RequestModel):
    """A new milestone observation of a child."""

    model_config = with_examples(
        {
            "child_id": "6f1c2a52-4a77-4d36-9a53-0e6b1f7d2c11",
            "milestone": "sitting_without_support",
            "achieved_on": "2024-11-20",
            "observed_on": "2024-11-25",
            "support_needed": "none",
            "note": "Sat 15 s, arms free.",
        }
    )

    child_id: uuid.UUID = Field(description="a live child of the clinic")
    milestone: MilestoneCode
    achieved_on: PastDate | None = Field(default=None, description=ACHIEVED_DOC)
    observed_on: PastDate | None = Field(default=None, description=OBSERVED_DOC)
    support_needed: SupportNeeded | None = None
    note: LongText | None = None


class MilestonePatch(PatchModel):
    """Changes to an observation: only the fields sent are changed (the child cannot change)."""

    NOT_NULL = REQUIRED

    model_config = with_examples({"achieved_on": "2024-12-02"})

    milestone: MilestoneCode | None = None
    achieved_on: PastDate | None = Field(default=None, description=ACHIEVED_DOC)
    observed_on: PastDate | None = Field(default=None, description=OBSERVED_DOC)
    support_needed: SupportNeeded | None = None
    note: LongText | None = None


class MilestonePublic(ResourceMeta):
    """A milestone observation."""

    child_id: uuid.UUID
    milestone: MilestoneCode
    achieved_on: IsoDate | None
    observed_on: IsoDate | None
    support_needed: SupportNeeded | None
    note: str | None
    warnings: list[RecordWarning] = Field(description=WARNINGS_DOC)
    age: AgePublic | None = Field(
        default=None, description="Ages on `achieved_on` (else `observed_on`)."
    )
