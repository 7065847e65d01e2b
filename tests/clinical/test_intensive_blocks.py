"""Intensive blocks (rule `intensive-block@2`): the golden cases."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from dmi_api.clinical.intensive_blocks import RULE, BlockSession, Gmfm, block_summary
from tests.clinical.golden_cases import NONE, assert_matches, cases


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _sessions(case: dict[str, Any]) -> list[BlockSession]:
    found = [
        BlockSession(_day(day), attendance, kind, minutes, repetitions)
        for day, attendance, kind, minutes, repetitions in case.get("sessions", [])
    ]
    bulk = case.get("bulk")
    if bulk:
        for n in range(bulk["days"]):
            for _ in range(bulk["per_day"]):
                day = bulk["from"] + timedelta(days=n)
                found.append(
                    BlockSession(day, "attended", "dmi", bulk["minutes"], bulk["repetitions"])
                )
    return found


def _plain(value: Any) -> Any:
    """Dates as ISO text, ids dropped: what the golden file can write."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "assessment_id"}
    if isinstance(value, date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("case", cases("intensive_blocks"))
def test_golden_intensive_blocks(case: dict[str, Any]) -> None:
    plan = case.get("plan")
    found = block_summary(
        first=case["first"],
        last=None if case["last"] == NONE else case["last"],
        pauses=[{"start": start, "end": end} for start, end in case.get("pauses", [])],
        plan=None
        if plan is None
        else {"days": plan[0], "sessions_per_day": plan[1], "minutes_per_session": plan[2]},
        sessions=_sessions(case),
        gmfm88=[Gmfm(uuid.uuid4(), on, total) for on, total in case.get("gmfm", [])],
        followup_weeks=case.get("followup_weeks", 4),
        today=case["today"],
    )
    assert found["rule"] == RULE
    assert_matches(_plain(found), case["expected"], "block")
