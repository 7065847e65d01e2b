"""A warning on an accepted record: what the clinician should look at again."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

WarningCode = Literal[
    "most_items_missing",
    "outside_age_range",
    "after_independent_walking",
    "before_term_equivalent_age",
    "coverage_differs",
]
WARNINGS_DOC = (
    "What the clinician should look at again (rule `record-warnings@1`): the record is accepted "
    "and scored as it is; the clinician decides. Kept current when the child, the clinic's "
    "rules or the child's walking milestone change."
)


class RecordWarning(BaseModel):
    """One warning: a code to act on, a sentence for the clinician, the field it is about."""

    code: WarningCode
    detail: str
    pointer: str = Field(description="JSON pointer to the field, e.g. `#/items`")
