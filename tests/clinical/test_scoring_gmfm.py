"""GMFM-88 and GMFM-66 scoring."""

from __future__ import annotations

from typing import Any

import pytest

from dmi_api.clinical.scoring import score_assessment
from tests.clinical.golden_cases import assert_matches, cases, expand_items


def _gmfm88(items: dict[str, object], goals: list[str]) -> dict[str, Any]:
    scores = score_assessment(
        instrument="gmfm88", items=items, entered={}, goal_dimensions=goals, age=None
    )
    assert scores is not None
    return scores


@pytest.mark.parametrize("case", cases("gmfm88"))
def test_golden_gmfm88(case: dict[str, Any]) -> None:
    scores = _gmfm88(expand_items(case, fill_ids=range(1, 89)), case["goal_dimensions"])
    assert scores["rule"] == "gmfm88@3rd-ed-r3"
    assert_matches(scores, case["expected"])


def test_gmfm88_shape_is_exact_and_leaves_change_to_the_service() -> None:
    scores = _gmfm88({"1": 3}, ["A"])
    assert list(scores) == [
        "rule",
        "dimensions",
        "total_percent",
        "goal_dimensions",
        "goal_total_percent",
        "items_tested",
        "items_missing",
    ]
    assert list(scores["dimensions"]) == ["A", "B", "C", "D", "E"]
    assert set(scores["dimensions"]["A"]) == {"raw", "max", "percent", "items_tested"}
    assert "change" not in scores


def test_gmfm88_percents_are_rounded_to_two_decimals() -> None:
    scores = _gmfm88({"1": 1}, ["A"])  # 1 / 51 = 1.9607...
    assert scores["dimensions"]["A"]["percent"] == 1.96
    assert scores["total_percent"] == 0.39  # 1.9607 / 5 = 0.392
    assert scores["goal_total_percent"] == 1.96


def test_gmfm66_reports_the_entered_gmae_values_only() -> None:
    scores = score_assessment(
        instrument="gmfm66",
        items={"1": 3, "2": "NT", "30": 0},
        entered={"gmae_score": 55.3, "standard_error": 1.2, "ci95_low": 52.9, "ci95_high": 57.7},
        goal_dimensions=["A"],
        age=None,
    )
    assert scores == {
        "rule": "gmfm66@gmae-2",
        "gmae_score": 55.3,
        "standard_error": 1.2,
        "ci95_low": 52.9,
        "ci95_high": 57.7,
        "items_tested": 2,
    }


def test_gmfm66_without_entered_values_reports_none_never_a_percentage() -> None:
    scores = score_assessment(
        instrument="gmfm66",
        items={str(n): 3 for n in range(1, 89)},
        entered={},
        goal_dimensions=[],
        age=None,
    )
    assert scores == {
        "rule": "gmfm66@gmae-2",
        "gmae_score": None,
        "standard_error": None,
        "ci95_low": None,
        "ci95_high": None,
        "items_tested": 88,
    }
