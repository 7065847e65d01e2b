"""WHO windows of achievement for six gross-motor milestones (WHO MGRS, Acta Paediatr 2006).

Rule `who-mgrs-2006@2`: the windows of WHO MGRS 2006 (the source), and since version 2 a
hands-and-knees crawl never observed past its window is `not_observed`, not `late` (about 4% of
typically developing children never crawl), unless the clinic expects crawling
(`crawling_expected`); a child who stands or walks alone has `skipped` it either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal, get_args

from dmi_api.clinical.ages import DAYS_PER_MONTH, Age, months
from dmi_api.clinical.rounding import half_up

SOURCE = "who-mgrs-2006"
RULE = f"{SOURCE}@2"
WhoMilestone = Literal[
    "sitting_without_support",
    "standing_with_assistance",
    "hands_and_knees_crawling",
    "walking_with_assistance",
    "standing_alone",
    "walking_alone",
]
WHO_MILESTONES: tuple[str, ...] = get_args(WhoMilestone)
# 1st to 99th percentile of the age of achievement, in months (WHO MGRS 2006).
WINDOWS: dict[str, tuple[float, float]] = {
    "sitting_without_support": (3.8, 9.2),
    "standing_with_assistance": (4.8, 11.4),
    "hands_and_knees_crawling": (5.2, 13.5),
    "walking_with_assistance": (5.9, 13.7),
    "standing_alone": (6.9, 16.9),
    "walking_alone": (8.2, 17.6),
}
CRAWLING = "hands_and_knees_crawling"
# Independent walking: it also ends the AIMS's range (`record_warnings`, `due_dates`).
WALKING_ALONE = "walking_alone"
# Achieving either of these shows the child has moved on past crawling.
BEYOND_CRAWLING = ("standing_alone", WALKING_ALONE)


def milestone_windows(
    *,
    age_now: Age,
    ages_achieved: Mapping[str, tuple[date, Age]],
    crawling_expected: bool = False,
) -> list[dict[str, Any]]:
    """Each WHO milestone's window and the child's status against it, on the effective age."""
    results: list[dict[str, Any]] = []
    for milestone in WHO_MILESTONES:
        from_months, to_months = WINDOWS[milestone]
        # Compare in days, keeping the fraction: a whole-day age is inside the window from the
        # first day >= from_days through the last day <= to_days.
        from_days = from_months * DAYS_PER_MONTH
        to_days = to_months * DAYS_PER_MONTH
        achieved = ages_achieved.get(milestone)
        if achieved is None:
            days = age_now.effective_days
            status = _status(
                days, from_days, to_days, ("not_yet_expected", "within_window", "late")
            )
            if milestone == CRAWLING and status == "late":
                status = _crawl_not_seen(ages_achieved, crawling_expected=crawling_expected)
            achieved_on = None
        else:
            on, age_then = achieved
            days = age_then.effective_days
            status = _status(
                days, from_days, to_days, ("achieved_early", "achieved_within", "achieved_late")
            )
            achieved_on = on.isoformat()
        results.append(
            {
                "milestone": milestone,
                "window_from_months": from_months,
                "window_to_months": to_months,
                "status": status,
                "achieved_on": achieved_on,
                "age_months": half_up(months(days)),
                "rule": RULE,
            }
        )
    return results


def _crawl_not_seen(
    ages_achieved: Mapping[str, tuple[date, Age]], *, crawling_expected: bool
) -> str:
    """The status of a crawl never observed past its window."""
    # 4.3% of typically developing children never crawl (WHO MGRS): a child who stands or walks
    # alone has skipped crawling, and one who does not yet is not late by that alone.
    if any(m in ages_achieved for m in BEYOND_CRAWLING):
        return "skipped"
    return "late" if crawling_expected else "not_observed"


def _status(days: int, from_days: float, to_days: float, names: tuple[str, str, str]) -> str:
    before, within, after = names
    if days < from_days:
        return before
    if days <= to_days:
        return within
    return after
