"""Warnings, not silence: records the clinician may keep (they are accepted) but should look at
again, rule `record-warnings@1` (docs/clinical-rules.md).

- `most_items_missing`: a final assessment of an instrument scored from every item (GMFM-88,
  HINE, FEAS) with fewer than half of its items recorded. AIMS and PDMS are left out: their
  manuals have the examiner record a window (AIMS) or a basal and a ceiling (PDMS) only.
- `outside_age_range`: AIMS past 18 months or before term-equivalent age (Piper & Darrah: term
  to 18 months, corrected age); HINE outside 2 to 24 months (Haataja et al. 1999).
- `after_independent_walking`: AIMS on or after the day the child was recorded walking alone
  (the scale stops at independent walking).
- `before_term_equivalent_age`: a milestone achieved before the child's term-equivalent age.
- `coverage_differs`: a GMFM-88 change computed against an assessment with other items recorded.

Ages are the effective ages of the age rule (corrected while correction applies).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from dmi_api.clinical.ages import DAYS_PER_MONTH, Age, months
from dmi_api.clinical.rounding import half_up

RULE = "record-warnings@1"
# The instruments whose score is computed from every item, and how many items they have.
EVERY_ITEM = {"gmfm88": 88, "hine": 26, "feas": 60}
# Age ranges in (WHO) months of the effective age: (first, last), inclusive.
AGE_RANGES = {"aims": (0.0, 18.0), "hine": (2.0, 24.0)}
_NAMES = {"aims": "AIMS", "hine": "HINE"}

Warning = dict[str, str]


def warning(code: str, detail: str, pointer: str) -> Warning:
    """One warning: a code to act on, a sentence for the clinician, and the field it is about."""
    return {"code": code, "detail": detail, "pointer": pointer}


def assessment_warnings(
    *,
    instrument: str,
    final: bool,
    items: Mapping[str, Any],
    age: Age | None,
    walked_on: date | None,
    performed_on: date,
) -> list[Warning]:
    """What a clinician should look at again in one assessment (none for a tombstone)."""
    found: list[Warning] = []
    expected = EVERY_ITEM.get(instrument)
    if final and expected is not None and len(items) * 2 < expected:
        detail = (
            f"{len(items)} of the {expected} items are recorded; the score counts the rest as 0."
        )
        found.append(warning("most_items_missing", detail, "#/items"))
    limits = AGE_RANGES.get(instrument)
    if limits is not None and age is not None:
        first, last = limits
        at = months(age.effective_days)
        if not first <= at <= last:
            # In days too: 548 days is 18.004 months, which no rounding of the months shows
            # as outside "0 to 18 months".
            days = range_days(instrument)
            detail = (
                f"The {_NAMES[instrument]} is meant for ages {first:g} to {last:g} months"
                f" (days {days[0]} to {days[1]} of the age, corrected while correction"
                f" applies); the child was {age.effective_days} days old"
                f" ({half_up(at):.2f} months)."
            )
            found.append(warning("outside_age_range", detail, "#/performed_on"))
    if instrument == "aims" and walked_on is not None and walked_on <= performed_on:
        detail = "The child was recorded walking alone before this date; the AIMS stops there."
        found.append(warning("after_independent_walking", detail, "#/performed_on"))
    return found


def range_days(instrument: str) -> tuple[int, int]:
    """The instrument's age range (`AGE_RANGES`) in whole days of the effective age: the first
    and the last day inside it (months of 30.4375 days)."""
    first, last = AGE_RANGES[instrument]
    return math.ceil(first * DAYS_PER_MONTH), math.floor(last * DAYS_PER_MONTH)


def milestone_warnings(age: Age | None) -> list[Warning]:
    """What a clinician should look at again in a milestone, from the age on its achievement."""
    if age is None or age.corrected_days is None or age.corrected_days >= 0:
        return []
    weeks, days = divmod(-age.corrected_days, 7)  # 1 to 6 days are not "0 weeks"
    counted = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((weeks, "week"), (days, "day"))]
    before = " and ".join(part for part in counted if not part.startswith("0 "))
    detail = f"Achieved {before} before term-equivalent age; check the date."
    return [warning("before_term_equivalent_age", detail, "#/achieved_on")]


def coverage_warning(current: Mapping[str, Any], previous: Mapping[str, Any]) -> Warning | None:
    """A change between two assessments whose recorded items differ says so."""
    if set(current) == set(previous):
        return None
    detail = (
        f"The change compares {len(current)} recorded items with {len(previous)} recorded in the"
        " previous assessment, not the same ones."
    )
    return warning("coverage_differs", detail, "#/scores/change")
