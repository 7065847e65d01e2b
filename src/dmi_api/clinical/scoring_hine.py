"""HINE section and global scores with the optimality reference (`hine@haataja-1999`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dmi_api.clinical.ages import Age
from dmi_api.clinical.scoring_common import sum_scores

HINE_RULE = "hine@haataja-1999"
HINE_MAX_ITEM_SCORE = 3
HINE_SECTIONS: dict[str, range] = {
    "cranial_nerves": range(1, 6),
    "posture": range(6, 12),
    "movements": range(12, 14),
    "tone": range(14, 22),
    "reflexes_reactions": range(22, 27),
}
HINE_MAX = 78
# 10th-percentile global scores of term-born infants by age in weeks: the continuous
# reference of J Pediatr 2022 (not Haataja 1999's optimality cut-offs); docs/clinical-rules.md.
HINE_OPTIMALITY: dict[int, float] = {12: 52.1, 16: 55.6, 20: 59.0, 24: 61.8, 28: 63.8}
OPTIMALITY_TOLERANCE_DAYS = 14


def score_hine(*, items: Mapping[str, object], age: Age | None) -> dict[str, Any]:
    """Section scores, global score (max 78) and the optimality comparison when one applies."""
    sections: dict[str, dict[str, int]] = {}
    tested = 0
    for name, numbers in HINE_SECTIONS.items():
        raw, scored = sum_scores(items, [str(n) for n in numbers])
        tested += scored
        sections[name] = {"raw": raw, "max": len(numbers) * HINE_MAX_ITEM_SCORE}
    global_score = sum(s["raw"] for s in sections.values())
    return {
        "rule": HINE_RULE,
        "sections": sections,
        "global": global_score,
        "max": HINE_MAX,
        "items_tested": tested,
        "optimality": _optimality(global_score, age),
    }


def _optimality(global_score: int, age: Age | None) -> dict[str, Any] | None:
    # The references are published only at 12, 16, 20, 24 and 28 weeks: comparing at any other
    # age would be an interpolation the source does not support, so only ±14 days are accepted.
    if age is None:
        return None
    days = age.effective_days
    near = [
        (abs(days - weeks * 7), -weeks, weeks)
        for weeks in HINE_OPTIMALITY
        if abs(days - weeks * 7) <= OPTIMALITY_TOLERANCE_DAYS
    ]
    if not near:
        return None
    # Halfway between two references (e.g. 98 days, 14 weeks) the later one wins (-weeks
    # sorts it first): the child has completed the weeks, like rounding half up.
    _, _, weeks = min(near)
    reference = HINE_OPTIMALITY[weeks]
    return {
        "reference_age_weeks": weeks,
        "reference_score": reference,
        "below_reference": global_score < reference,
    }
