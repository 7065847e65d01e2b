"""Intensive blocks, rule `intensive-block@2` (docs/clinical-rules.md).

A prescription with setting `intensive` is a block: a few weeks of daily therapy, planned as
days, sessions a day and minutes a session. Its summary:

- **delivered**: the attended sessions other than home practice whose local date is a day of
  the block (its period up to today, the day before it was completed or discontinued at the
  latest, paused days left out): their days, count, minutes and repetitions;
- **adherence**: delivered days, sessions and minutes as a percentage of the plan's (half up,
  2 decimals; none without a plan). Sessions beyond the plan count: more than 100 % is possible;
- **GMFM-88 change across it**: the last final GMFM-88 performed on or before the block's first
  day, and the first performed after the first day, from the block's last day to `followup_weeks`
  weeks after it; their `total_percent` and the change (after - before, half up).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from dmi_api.clinical.adherence import counted_days
from dmi_api.clinical.rounding import change, half_up

# @2: repetitions counted as adherence counts them, (sets or 1) x (repetitions or 1) an entry
# (@1 summed the repetitions as recorded: sets ignored, a count left out 0).
RULE = "intensive-block@2"


@dataclass(frozen=True)
class BlockSession:
    """A session as a block counts it."""

    day: date  # local date
    attendance: str
    type: str
    duration_minutes: int
    repetitions: int


@dataclass(frozen=True)
class Gmfm:
    """A final GMFM-88's total."""

    assessment_id: uuid.UUID
    performed_on: date
    total_percent: float


def _percent(delivered: int, planned: int) -> float:
    return half_up(Fraction(100 * delivered, planned))


def _measure(found: Gmfm | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "assessment_id": found.assessment_id,
        "performed_on": found.performed_on,
        "total_percent": found.total_percent,
    }


def block_summary(
    *,
    first: date,
    last: date | None,
    pauses: Sequence[Mapping[str, Any]],
    plan: Mapping[str, int] | None,
    sessions: Sequence[BlockSession],
    gmfm88: Sequence[Gmfm],
    followup_weeks: int,
    today: date,
) -> dict[str, Any]:
    """The summary of one block (`last`: its last day, None while open-ended)."""
    until = today if last is None else min(last, today)
    days = counted_days(first, last, pauses, first, until)[0]
    counted = [s for s in sessions if s.day in days]
    counted = [s for s in counted if s.attendance == "attended" and s.type != "home_practice"]
    delivered = {
        "days": len({s.day for s in counted}),
        "sessions": len(counted),
        "minutes": sum(s.duration_minutes for s in counted),
        "repetitions": sum(s.repetitions for s in counted),
    }
    planned = None
    adherence = None
    if plan is not None:
        planned = {
            "days": plan["days"],
            "sessions": plan["days"] * plan["sessions_per_day"],
            "minutes": plan["days"] * plan["sessions_per_day"] * plan["minutes_per_session"],
        }
        adherence = {
            f"{name}_percent": _percent(delivered[name], planned[name])
            for name in ("days", "sessions", "minutes")
        }
    ordered = sorted(gmfm88, key=lambda g: g.performed_on)
    before = next((g for g in reversed(ordered) if g.performed_on <= first), None)
    after = None
    if last is not None:
        window_end = last + timedelta(weeks=followup_weeks)
        after = next(
            (g for g in ordered if g.performed_on > first and last <= g.performed_on <= window_end),
            None,
        )
    return {
        "first_day": first,
        "last_day": last,
        "completed": last is not None and last < today,
        "planned": planned,
        "delivered": delivered,
        "adherence": adherence,
        "gmfm88": {
            "before": _measure(before),
            "after": _measure(after),
            "change": None
            if before is None or after is None
            else change(after.total_percent, before.total_percent),
            "followup_weeks": followup_weeks,
        },
        "rule": RULE,
    }
