"""GMFM-88 dimension scores (rule `gmfm88@3rd-ed`) and GMFM-66 entered values (`gmfm66@gmae-2`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from dmi_api.clinical.rounding import half_up
from dmi_api.clinical.scoring_common import score_of, sum_scores

# -r2: every percent rounded half up (3.125 -> 3.13), computed exactly (was Python's round).
# -r3: the goal total's change only between assessments with the same goal dimensions (r2
# subtracted the mean of other dimensions when the goals changed).
GMFM88_RULE = "gmfm88@3rd-ed-r3"
GMFM66_RULE = "gmfm66@gmae-2"
GMFM_MAX_ITEM_SCORE = 3
GMFM88_ITEMS = 88

# Item numbers per dimension (Russell et al., GMFM 3rd ed.): A lying & rolling, B sitting,
# C crawling & kneeling, D standing, E walking, running & jumping.
GMFM88_DIMENSIONS: dict[str, range] = {
    "A": range(1, 18),
    "B": range(18, 38),
    "C": range(38, 52),
    "D": range(52, 65),
    "E": range(65, 89),
}
GMFM66_ENTERED = ("gmae_score", "standard_error", "ci95_low", "ci95_high")


def score_gmfm88(*, items: Mapping[str, object], goal_dimensions: Sequence[str]) -> dict[str, Any]:
    """Per-dimension raw and percent, total percent and goal total percent of a GMFM-88."""
    dimensions: dict[str, dict[str, Any]] = {}
    # Percents stay exact (fractions) for the means, so that only the reported values are
    # rounded and a mean that is exactly a tie (e.g. 3.125) is not nudged by float error.
    percents: dict[str, Fraction] = {}
    for name, numbers in GMFM88_DIMENSIONS.items():
        # NT counts 0 (GMFM manual). An absent item also counts 0: a draft may omit items,
        # and the denominator stays the whole dimension so that percents remain comparable
        # between assessments; `items_missing` tells the reader how many were absent.
        raw, tested = sum_scores(items, [str(n) for n in numbers])
        maximum = len(numbers) * GMFM_MAX_ITEM_SCORE
        percents[name] = Fraction(raw * 100, maximum)
        dimensions[name] = {
            "raw": raw,
            "max": maximum,
            "percent": half_up(percents[name]),
            "items_tested": tested,
        }
    goals = sorted(set(goal_dimensions))
    goal_total = sum(percents[g] for g in goals) / len(goals) if goals else None
    present = sum(1 for n in range(1, GMFM88_ITEMS + 1) if str(n) in items)
    return {
        "rule": GMFM88_RULE,
        "dimensions": dimensions,
        "total_percent": half_up(sum(percents.values()) / len(percents)),
        "goal_dimensions": goals,
        "goal_total_percent": None if goal_total is None else half_up(goal_total),
        "items_tested": sum(d["items_tested"] for d in dimensions.values()),
        "items_missing": GMFM88_ITEMS - present,
    }


def score_gmfm66(*, items: Mapping[str, object], entered: Mapping[str, object]) -> dict[str, Any]:
    """The GMAE-2 values as the clinician entered them; never a percentage of items."""
    # The GMFM-66 is a Rasch-scaled measure: only the GMAE-2 software can score it, so a
    # sum of item scores would be a different, misleading number.
    result: dict[str, Any] = {"rule": GMFM66_RULE}
    for name in GMFM66_ENTERED:
        result[name] = entered.get(name)
    result["items_tested"] = sum(1 for value in items.values() if score_of(value) is not None)
    return result
