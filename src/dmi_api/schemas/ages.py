"""A child's ages as the API shows them beside every age-dependent result."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class AgePublic(BaseModel):
    """Chronological age and, for a child born preterm, corrected age."""

    as_of: date = Field(description="The date the ages are for.")
    chronological_days: int
    corrected_days: int | None = Field(
        description=(
            "Chronological age minus the weeks born early (40 - gestational age), when the "
            "clinic's rule applies (default: born before 37 weeks and younger than 24 months); "
            "negative before the due date; null when the rule does not apply."
        )
    )
    rule: str = Field(description="Version of the rule, e.g. `corrected-age@2`.")
