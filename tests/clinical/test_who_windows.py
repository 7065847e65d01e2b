"""WHO windows of achievement: golden boundary cases and the shape of the answer."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dmi_api.clinical.ages import Age
from dmi_api.clinical.who_windows import RULE, WHO_MILESTONES, WINDOWS, milestone_windows
from tests.clinical.golden_cases import age_at, assert_matches, cases


@pytest.mark.parametrize("case", cases("who_windows"))
def test_golden_who_windows(case: dict[str, Any]) -> None:
    now = age_at(case)
    assert now is not None
    achieved: dict[str, tuple[date, Age]] = {}
    for milestone, when in case.get("achieved", {}).items():
        dated = age_at(case, when)
        assert dated is not None
        achieved[milestone] = dated
    results = milestone_windows(
        age_now=now[1],
        ages_achieved=achieved,
        crawling_expected=case.get("crawling_expected", False),
    )
    by_milestone = {r["milestone"]: r for r in results}
    assert set(case["expected"]) <= set(WHO_MILESTONES), "unknown milestone in the golden file"
    assert_matches(by_milestone, case["expected"], "windows")


def test_windows_are_the_published_ones() -> None:
    # The WHO MGRS 2006 windows; version 2 of the rule adds `not_observed` for crawling.
    assert RULE == "who-mgrs-2006@2"
    assert WINDOWS == {
        "sitting_without_support": (3.8, 9.2),
        "standing_with_assistance": (4.8, 11.4),
        "hands_and_knees_crawling": (5.2, 13.5),
        "walking_with_assistance": (5.9, 13.7),
        "standing_alone": (6.9, 16.9),
        "walking_alone": (8.2, 17.6),
    }


def test_one_entry_per_milestone_in_order_with_exact_keys() -> None:
    results = milestone_windows(
        age_now=Age(chronological_days=10, corrected_days=None, effective_years=0), ages_achieved={}
    )
    assert [r["milestone"] for r in results] == list(WHO_MILESTONES)
    assert list(results[0]) == [
        "milestone",
        "window_from_months",
        "window_to_months",
        "status",
        "achieved_on",
        "age_months",
        "rule",
    ]
    assert {r["status"] for r in results} == {"not_yet_expected"}


def test_negative_corrected_age_is_not_yet_expected() -> None:
    results = milestone_windows(
        age_now=Age(chronological_days=20, corrected_days=-36, effective_years=-1), ages_achieved={}
    )
    assert results[0]["status"] == "not_yet_expected"
    assert results[0]["age_months"] == -1.18
