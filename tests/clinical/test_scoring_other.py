"""GMFCS-E&R, PDMS-2/3, FEAS and the instruments without scoring."""

from __future__ import annotations

from typing import Any

import pytest

from dmi_api.clinical.ages import Age
from dmi_api.clinical.scoring import score_assessment
from tests.clinical.golden_cases import age_at, assert_matches, cases


@pytest.mark.parametrize("case", cases("gmfcs"))
def test_golden_gmfcs(case: dict[str, Any]) -> None:
    dated = age_at(case)
    scores = score_assessment(
        instrument="gmfcs",
        items={},
        entered=case["entered"],
        goal_dimensions=[],
        age=None if dated is None else dated[1],
    )
    assert scores is not None
    assert list(scores) == ["rule", "level", "level_roman", "age_band"]
    assert scores["rule"] == "gmfcs-er@2007"
    assert_matches(scores, case["expected"])


def test_gmfcs_band_of_a_negative_corrected_age_is_under_two() -> None:
    scores = score_assessment(
        instrument="gmfcs",
        items={},
        entered={"level": 4},
        goal_dimensions=[],
        age=Age(chronological_days=10, corrected_days=-60),
    )
    assert scores == {"rule": "gmfcs-er@2007", "level": 4, "level_roman": "IV", "age_band": "<2"}


def test_pdms2_raw_subtests_and_entered_norms() -> None:
    scores = score_assessment(
        instrument="pdms2",
        items={"reflexes-1": 2, "reflexes-2": 1, "reflexes-8": 0, "locomotion-89": 2},
        entered={"standard_scores": {"reflexes": 9, "locomotion": 7}, "gmq": 88},
        goal_dimensions=[],
        age=None,
    )
    assert scores == {
        "rule": "pdms2@2nd-ed",
        "subtests": {
            "locomotion": {"raw": 2, "items_scored": 1},
            "reflexes": {"raw": 3, "items_scored": 3},
        },
        "standard_scores": {"reflexes": 9, "locomotion": 7},
        "gmq": 88,
        "fmq": None,
        "tmq": None,
    }


def test_pdms3_without_entered_values() -> None:
    scores = score_assessment(
        instrument="pdms3",
        items={"body_control-1": 2, "eye_hand_coordination-12": 1, "body_control-3": 2},
        entered={},
        goal_dimensions=[],
        age=None,
    )
    assert scores == {
        "rule": "pdms3@3rd-ed",
        "subtests": {
            "body_control": {"raw": 4, "items_scored": 2},
            "eye_hand_coordination": {"raw": 1, "items_scored": 1},
        },
        "standard_scores": None,
        "gmq": None,
        "fmq": None,
        "tmq": None,
    }


def test_feas_raw_total() -> None:
    items: dict[str, object] = {str(n): 2 for n in range(1, 31)}
    items.update({"31": 1, "32": 0})
    scores = score_assessment(
        instrument="feas", items=items, entered={}, goal_dimensions=[], age=None
    )
    assert scores == {"rule": "feas@raw-total", "total": 61, "items_tested": 32}


@pytest.mark.parametrize("instrument", ["dmi_evaluation", "custom"])
def test_instruments_without_scoring(instrument: str) -> None:
    scores = score_assessment(
        instrument=instrument,
        items={"rom_hip": 40, "note": "tight"},
        entered={"x": 1},
        goal_dimensions=[],
        age=Age(chronological_days=100, corrected_days=None),
    )
    assert scores is None


def test_an_unknown_instrument_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="No scoring rule"):
        score_assessment(instrument="bayley", items={}, entered={}, goal_dimensions=[], age=None)
