"""DIRFloortime (rules `dirfloortime@2`, `fedc@greenspan-wieder`): golden cases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dmi_api.clinical.dirfloortime import (
    FEDC_CAPACITIES,
    FEDC_RULE,
    RULE,
    Practice,
    floortime,
    score_fedc,
)
from tests.clinical.golden_cases import NONE, cases


def _row(week: dict[str, Any]) -> list[Any]:
    return [
        week["week_from"].isoformat(),
        week["week_to"].isoformat(),
        week["days"],
        week["minutes"],
        NONE if week["target_minutes"] is None else week["target_minutes"],
        NONE if week["percent"] is None else week["percent"],
    ]


@pytest.mark.parametrize("case", cases("dirfloortime"))
def test_golden_dirfloortime(case: dict[str, Any]) -> None:
    practices = [
        Practice(date.fromisoformat(day), kind, attendance, minutes, named)
        for day, kind, attendance, minutes, named in case["sessions"]
    ]
    target = case.get("target")
    found = floortime(
        practices,
        None
        if target is None
        else {
            "sessions_per_day": target[0],
            **({"minutes_per_session": target[1]} if len(target) > 1 else {}),
        },
        case["first"],
        case["last"],
    )
    assert found["rule"] == RULE
    expected = case["expected"]
    if "weeks" in expected:
        assert [_row(week) for week in found["weeks"]] == expected["weeks"]
    if "last_week" in expected:
        assert _row(found["weeks"][-1]) == expected["last_week"]
    if "coaching" in expected:
        assert [[m["month"], m["sessions"]] for m in found["parent_coaching"]] == expected[
            "coaching"
        ]


def test_fedc_levels_and_their_capacities() -> None:
    assert score_fedc({"level": 3}) == {
        "rule": FEDC_RULE,
        "level": 3,
        "capacity": "two-way intentional communication",
        "advanced": False,
    }
    assert score_fedc({"level": 7})["advanced"] is True
    assert score_fedc({})["level"] is None
    assert sorted(FEDC_CAPACITIES) == list(range(1, 10))
