"""DMI support-point progression (rule `support-progression@2`): the golden cases."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from dmi_api.clinical.support_progression import RULE, Use, progression
from tests.clinical.golden_cases import assert_matches, cases

START = date(2026, 1, 1)


def _uses(case: dict[str, Any]) -> list[Use]:
    sessions: dict[str, uuid.UUID] = {}
    return [
        Use(
            START + timedelta(days=day - 1),
            sessions.setdefault(session, uuid.uuid4()),
            point,
            None if response == "-" else response,
        )
        for day, session, point, response in case["uses"]
    ]


@pytest.mark.parametrize("case", cases("support_progression"))
def test_golden_support_progression(case: dict[str, Any]) -> None:
    found = progression(
        _uses(case), after_sessions=case.get("after", 3), full_percent=case.get("full", 80)
    )
    assert found["rule"] == RULE
    assert_matches(found, case["expected"], "progression")
    if "moves" in case:
        moves = [
            [
                (m["on"] - START).days + 1,
                m["from_support_point"],
                m["to_support_point"],
                m["direction"],
            ]
            for m in found["moves"]
        ]
        assert moves == case["moves"]


def test_no_hold_on_the_scale() -> None:
    found = progression([], after_sessions=3, full_percent=80)
    assert found["current_support_point"] is None
    assert found["ready_to_progress"] is False
