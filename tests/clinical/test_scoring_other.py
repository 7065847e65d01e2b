"""GMFCS-E&R, PDMS-2/3, FEAS and the instruments without scoring."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from dmi_api.clinical.ages import Age, add_months, age_on
from dmi_api.clinical.scoring import GMFCS_BANDS, gmfcs_age_band, score_assessment
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
    assert scores["rule"] == "gmfcs-er@2007-r2"
    assert_matches(scores, case["expected"])


def test_gmfcs_band_of_a_negative_corrected_age_is_under_two() -> None:
    # Born at 24+0 weeks, 10 days old: 102 days before the term-equivalent date.
    age = age_on(
        birth_date=date(2024, 1, 1),
        gestational_age_weeks=24,
        gestational_age_days=0,
        on=date(2024, 1, 11),
    )
    assert age.corrected_days == -102
    scores = score_assessment(
        instrument="gmfcs", items={}, entered={"level": 4}, goal_dimensions=[], age=age
    )
    assert scores == {
        "rule": "gmfcs-er@2007-r2",
        "level": 4,
        "level_roman": "IV",
        "age_band": "<2",
    }


def test_every_gmfcs_band_starts_on_the_calendar_birthday() -> None:
    # Every birth date of a leap year and the next (29 February among them): on each band's
    # birthday the band is the new one, the day before it is the previous one.
    bands = [band for _, band in GMFCS_BANDS] + [">=18"]
    first = date(2019, 12, 31)
    for offset in range(367 + 365):
        birth = first + timedelta(days=offset)
        for index, (years, _) in enumerate(GMFCS_BANDS):
            birthday = add_months(birth, 12 * years)
            for on, expected in (
                (birthday, bands[index + 1]),
                (birthday - timedelta(1), bands[index]),
            ):
                age = age_on(
                    birth_date=birth, gestational_age_weeks=None, gestational_age_days=None, on=on
                )
                assert gmfcs_age_band(age) == expected, (birth, on)


def test_pdms2_raw_subtests_and_entered_norms() -> None:
    scores = score_assessment(
        instrument="pdms2",
        items={"reflexes-1": 2, "reflexes-2": 1, "reflexes-8": 0, "locomotion-89": 2},
        entered={"standard_scores": {"reflexes": 9, "locomotion": 7}, "gmq": 88},
        goal_dimensions=[],
        age=None,
    )
    no_runs = {"basal_item": None, "ceiling_item": None, "credited": 0, "past_ceiling": 0}
    assert scores == {
        "rule": "pdms2@2nd-ed-r2",
        "subtests": {
            # No basal, testing not begun at item 1: flagged.
            "locomotion": {"raw": 2, "items_scored": 1, **no_runs, "basal_established": False},
            "reflexes": {"raw": 3, "items_scored": 3, **no_runs, "basal_established": True},
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
    no_runs = {"basal_item": None, "ceiling_item": None, "credited": 0, "past_ceiling": 0}
    assert scores == {
        "rule": "pdms3@3rd-ed-r2",
        "subtests": {
            "body_control": {"raw": 4, "items_scored": 2, **no_runs, "basal_established": True},
            "eye_hand_coordination": {
                "raw": 1,
                "items_scored": 1,
                **no_runs,
                "basal_established": False,
            },
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
        age=Age(chronological_days=100, corrected_days=None, effective_years=0),
    )
    assert scores is None


def test_an_unknown_instrument_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="No scoring rule"):
        score_assessment(instrument="bayley", items={}, entered={}, goal_dimensions=[], age=None)
