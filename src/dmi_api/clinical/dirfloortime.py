"""DIRFloortime, rules `fedc@greenspan-wieder` and `dirfloortime@2` (docs/clinical-rules.md).

- **FEDC level**: the Functional Emotional Developmental Capacity the clinician observed, as an
  assessment of instrument `fedc` (entered `level`, 1-9): the six core capacities and the three
  advanced ones of the DIR model (Greenspan & Wieder; ICDL).
- **Caregiver Floortime**: the minutes of attended `home_practice` records that name no exercise
  (a DMI home programme names the exercises practised; Floortime is play), per week (Monday to
  Sunday, the days of the period), from the week of the period's first Floortime on, against
  the child's daily target (`floortime_target`: sessions a day times minutes a session, 20
  minutes by default).
- **Parent coaching**: attended `parent_coaching` sessions per calendar month of the period,
  from the month of its first coaching session on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from dmi_api.clinical.rounding import half_up

FEDC_RULE = "fedc@greenspan-wieder"
# @2: the report's weeks and months stop at the clinic's today (@1 ran to the end of a period
# asked past it: a week in progress weighed against 7 days' target, the weeks ahead at 0 %).
RULE = "dirfloortime@2"
DEFAULT_MINUTES = 20
FEDC_CAPACITIES = {
    1: "shared attention and regulation",
    2: "engagement and relating",
    3: "two-way intentional communication",
    4: "complex problem-solving communication",
    5: "using symbols and creating emotional ideas",
    6: "logical thinking and building bridges between ideas",
    7: "multi-cause and triangular thinking",
    8: "gray-area, emotionally differentiated thinking",
    9: "reflective thinking and an internal standard of self",
}


def score_fedc(entered: Mapping[str, object]) -> dict[str, Any]:
    """The FEDC level as entered, its capacity and whether it is an advanced one (7-9)."""
    level = entered.get("level")
    known = level if isinstance(level, int) and level in FEDC_CAPACITIES else None
    return {
        "rule": FEDC_RULE,
        "level": known,
        "capacity": None if known is None else FEDC_CAPACITIES[known],
        "advanced": None if known is None else known >= 7,
    }


@dataclass(frozen=True)
class Practice:
    """A session as DIRFloortime counts it."""

    day: date  # local date
    type: str
    attendance: str
    minutes: int
    names_exercises: bool


def _weeks(first: date, last: date) -> list[tuple[date, date]]:
    """The weeks (Monday to Sunday) of a period, clipped to it."""
    found = []
    start = first
    while start <= last:
        sunday = start + timedelta(days=6 - start.weekday())
        found.append((start, min(sunday, last)))
        start = sunday + timedelta(days=1)
    return found


def _months(first: date, last: date) -> list[str]:
    found, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def floortime(
    practices: Sequence[Practice],
    target: Mapping[str, int] | None,
    first: date,
    last: date,
) -> dict[str, Any]:
    """Caregiver Floortime per week against the daily target, and parent coaching per month."""
    attended = [p for p in practices if p.attendance == "attended" and first <= p.day <= last]
    played = [p for p in attended if p.type == "home_practice" and not p.names_exercises]
    daily = None
    if target is not None:
        daily = target["sessions_per_day"] * target.get("minutes_per_session", DEFAULT_MINUTES)
    # From the first Floortime (and the first coaching) of the period on: a report over a
    # child's whole life lists the weeks since the family began, not since birth.
    weeks = []
    began = min((p.day for p in played), default=last + timedelta(days=1))
    for start, end in _weeks(max(first, began - timedelta(days=began.weekday())), last):
        minutes = sum(p.minutes for p in played if start <= p.day <= end)
        days = (end - start).days + 1
        goal = None if daily is None else daily * days
        weeks.append(
            {
                "week_from": start,
                "week_to": end,
                "days": days,
                "minutes": minutes,
                "target_minutes": goal,
                "percent": None if not goal else half_up(Fraction(100 * minutes, goal)),
            }
        )
    coached = [p for p in attended if p.type == "parent_coaching"]
    months = [
        {"month": month, "sessions": sum(p.day.strftime("%Y-%m") == month for p in coached)}
        for month in (_months(min(p.day for p in coached), last) if coached else [])
    ]
    return {
        "daily_target_minutes": daily,
        "weeks": weeks,
        "parent_coaching": months,
        "rule": RULE,
    }
