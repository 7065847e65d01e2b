"""DMI support-point progression, rule `support-progression@2` (docs/clinical-rules.md).

In DMI the therapist holds the child at a support point and moves the hold down, from proximal
to distal (trunk, pelvis, thighs, knees, ankles), as the child's control grows, and back up when
the child cannot keep it. For one exercise, from the uses of its sessions in order:

- the **current** support point: that of the latest use on the scale;
- the **run** at it: the uses since the hold last moved; its sessions and the percentage of
  full responses among the uses with a response recorded (half up, 2 decimals);
- each **move**: the date, from, to, and `down` (distal) or `up` (proximal);
- **ready to progress**: the last N sessions of the run (N the clinic's `progress_after_sessions`,
  default 3) all at the current point and, among their uses with a response, at least X % full
  (X the clinic's `progress_full_percent`, default 80), and a more distal point exists.

Holds off the scale (`hands`, `other`) are listed by the report but take no part here; an
exercise recorded with 0 repetitions or 0 sets was skipped, and its hold is no use at all
(`services.progress`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from dmi_api.clinical.rounding import ratio_half_up

# @2: an entry of 0 repetitions or 0 sets (the exercise skipped) is not a use of its hold
# (@1 counted it as a session at the hold: readiness one session too early).
RULE = "support-progression@2"
SCALE = ("trunk", "pelvis", "thighs", "knees", "ankles")  # proximal -> distal


class Use(NamedTuple):
    """One use of a hold in a session."""

    on: date
    session_record_id: uuid.UUID
    support_point: str
    response: str | None


def _full_percent(uses: Sequence[Use]) -> float | None:
    rated = [use.response for use in uses if use.response is not None]
    if not rated:
        return None
    return ratio_half_up(100 * rated.count("full"), len(rated))


def _sessions(uses: Sequence[Use]) -> list[uuid.UUID]:
    """The distinct sessions of the uses, in order."""
    return list(dict.fromkeys(use.session_record_id for use in uses))


def progression(uses: Sequence[Use], *, after_sessions: int, full_percent: int) -> dict[str, Any]:
    """The progression of one exercise's holds (`uses` in order of their sessions)."""
    on_scale = [use for use in uses if use.support_point in SCALE]
    moves: list[dict[str, Any]] = []
    run_start = 0
    for index in range(1, len(on_scale)):
        before, after = on_scale[index - 1], on_scale[index]
        if after.support_point != before.support_point:
            down = SCALE.index(after.support_point) > SCALE.index(before.support_point)
            moves.append(
                {
                    "on": after.on,
                    "from_support_point": before.support_point,
                    "to_support_point": after.support_point,
                    "direction": "down" if down else "up",
                }
            )
            run_start = index
    if not on_scale:
        return {
            "current_support_point": None,
            "next_support_point": None,
            "sessions_at_current": 0,
            "full_response_percent_at_current": None,
            "moves": [],
            "ready_to_progress": False,
            "rule": RULE,
        }
    current = on_scale[-1].support_point
    run = on_scale[run_start:]
    position = SCALE.index(current)
    following = SCALE[position + 1] if position + 1 < len(SCALE) else None
    sessions = _sessions(run)
    last = set(sessions[-after_sessions:])
    recent = _full_percent([use for use in run if use.session_record_id in last])
    ready = (
        following is not None
        and len(sessions) >= after_sessions
        and recent is not None
        and recent >= full_percent
    )
    return {
        "current_support_point": current,
        "next_support_point": following,
        "sessions_at_current": len(sessions),
        "full_response_percent_at_current": _full_percent(run),
        "moves": moves,
        "ready_to_progress": ready,
        "rule": RULE,
    }
