"""Record warnings (rule `record-warnings@1`): the golden cases and the coverage note."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from dmi_api.clinical.ages import age_on
from dmi_api.clinical.record_warnings import (
    assessment_warnings,
    coverage_warning,
    milestone_warnings,
)
from tests.clinical.golden_cases import age_at, cases, expand_items


@pytest.mark.parametrize("case", cases("warnings"))
def test_golden_warnings(case: dict[str, Any]) -> None:
    dated = age_at(case)
    assert dated is not None
    on, age = dated
    if case["kind"] == "milestone":
        found = milestone_warnings(age)
    else:
        found = assessment_warnings(
            instrument=case["instrument"],
            final=case["status"] == "final",
            items=expand_items(case),
            age=age,
            walked_on=case.get("walked_on"),
            performed_on=on,
        )
    assert [w["code"] for w in found] == case["expected"]
    for warning in found:
        assert set(warning) == {"code", "detail", "pointer"}
        assert warning["pointer"].startswith("#/")


def test_a_warning_names_the_figures_a_clinician_checks() -> None:
    [missing] = assessment_warnings(
        instrument="gmfm88",
        final=True,
        items={str(n): 1 for n in range(1, 11)},
        age=None,
        walked_on=None,
        performed_on=date(2024, 6, 1),
    )
    assert missing["detail"].startswith("10 of the 88 items are recorded")


def test_coverage_differs_only_when_the_recorded_items_differ() -> None:
    same = {"1": 3, "2": 1}
    assert coverage_warning(same, {"1": 0, "2": 0}) is None
    differs = coverage_warning(same, {"1": 0, "3": 0})
    assert differs is not None
    assert differs["code"] == "coverage_differs"
    assert differs["pointer"] == "#/scores/change"


def _aims_or_hine_at(instrument: str, days: int) -> list[dict[str, str]]:
    birth = date(2024, 7, 1)
    on = birth + timedelta(days=days)
    return assessment_warnings(
        instrument=instrument,
        final=True,
        items={"prone-1": 1} if instrument == "aims" else {str(n): 2 for n in range(1, 27)},
        age=age_on(birth_date=birth, gestational_age_weeks=40, gestational_age_days=0, on=on),
        walked_on=None,
        performed_on=on,
    )


def test_an_age_outside_the_range_is_written_as_outside_it() -> None:
    # 548 days is 18.004 months of 30.4375 days: outside the AIMS's 0 to 18.0 months, which
    # "the child was 18.0 months" does not show; the days do (the last in range is day 547).
    [aims] = _aims_or_hine_at("aims", 548)
    assert aims["code"] == "outside_age_range"
    assert aims["detail"] == (
        "The AIMS is meant for ages 0 to 18 months (days 0 to 547 of the age, corrected while"
        " correction applies); the child was 548 days old (18.00 months)."
    )
    # 60 days is 1.97 months, before the HINE's 2.0 months (60.875 days: day 61 is the first).
    [hine] = _aims_or_hine_at("hine", 60)
    assert hine["detail"] == (
        "The HINE is meant for ages 2 to 24 months (days 61 to 730 of the age, corrected while"
        " correction applies); the child was 60 days old (1.97 months)."
    )
    assert _aims_or_hine_at("aims", 547) == _aims_or_hine_at("hine", 61) == []
    assert _aims_or_hine_at("hine", 730) == []
    assert [w["code"] for w in _aims_or_hine_at("hine", 731)] == ["outside_age_range"]


def test_how_long_before_term_a_milestone_was_achieved_reads_as_counted() -> None:
    # Born at 30+0 weeks: term-equivalent age is 70 days after birth.
    def detail(age_days: int) -> str:
        birth = date(2025, 1, 1)
        age = age_on(
            birth_date=birth,
            gestational_age_weeks=30,
            gestational_age_days=0,
            on=birth + timedelta(days=age_days),
        )
        [found] = milestone_warnings(age)
        return found["detail"]

    assert detail(69) == "Achieved 1 day before term-equivalent age; check the date."
    assert detail(65) == "Achieved 5 days before term-equivalent age; check the date."
    assert detail(57) == "Achieved 1 week and 6 days before term-equivalent age; check the date."
    assert detail(56) == "Achieved 2 weeks before term-equivalent age; check the date."
