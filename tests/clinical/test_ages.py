"""Chronological and corrected ages: golden cases and edge rules."""

from __future__ import annotations

import calendar
import dataclasses
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from dmi_api.clinical.ages import (
    DAYS_PER_MONTH,
    RULE,
    Age,
    AgeRule,
    add_months,
    age_on,
    completed_years,
    months,
)
from dmi_api.rule_values import from_values
from dmi_api.services.rules_in_effect import age_plain
from tests.clinical.golden_cases import NONE, cases


@pytest.mark.parametrize("case", cases("ages"))
def test_golden_age(case: dict[str, Any]) -> None:
    age = age_on(
        birth_date=case["birth_date"],
        gestational_age_weeks=case.get("gestational_age_weeks"),
        gestational_age_days=case.get("gestational_age_days"),
        on=case["on"],
        rule=AgeRule(**case.get("rule", {})),
    )
    expected_corrected = None if case["corrected_days"] == NONE else case["corrected_days"]
    assert age.chronological_days == case["chronological_days"]
    assert age.corrected_days == expected_corrected
    assert age.rule == RULE


def test_a_date_before_birth_is_refused() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(
            birth_date=date(2024, 5, 2),
            gestational_age_weeks=32,
            gestational_age_days=0,
            on=date(2024, 5, 1),
        )


def test_default_rule_is_37_weeks_and_24_months() -> None:
    assert AgeRule() == AgeRule(preterm_below_weeks=37, correct_until_months=24)
    assert RULE == "corrected-age@2"
    assert DAYS_PER_MONTH == 30.4375


def test_effective_days_prefers_the_corrected_age() -> None:
    assert Age(chronological_days=112, corrected_days=56, effective_years=0).effective_days == 56
    assert Age(chronological_days=112, corrected_days=-3, effective_years=-1).effective_days == -3
    assert Age(chronological_days=112, corrected_days=None, effective_years=0).effective_days == 112


def test_as_json_carries_both_ages_and_the_rule() -> None:
    assert Age(chronological_days=112, corrected_days=56, effective_years=0).as_json() == {
        "chronological_days": 112,
        "corrected_days": 56,
        "rule": "corrected-age@2",
    }
    assert (
        Age(chronological_days=5, corrected_days=None, effective_years=0).as_json()[
            "corrected_days"
        ]
        is None
    )


def test_values_are_frozen() -> None:
    age = Age(chronological_days=1, corrected_days=None, effective_years=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        age.chronological_days = 2  # type: ignore[misc]


def test_days_of_gestation_push_past_the_threshold() -> None:
    # 36+7 is not a valid record, but the arithmetic must still treat it as 37 weeks.
    age = age_on(
        birth_date=date(2024, 1, 1),
        gestational_age_weeks=36,
        gestational_age_days=7,
        on=date(2024, 2, 1),
    )
    assert age.corrected_days is None


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 11, 15), 2, date(2025, 1, 15)),
        (date(2024, 12, 31), 24, date(2026, 12, 31)),
    ],
)
def test_calendar_month_addition_clamps_the_day(start: date, count: int, expected: date) -> None:
    assert add_months(start, count) == expected


def test_month_addition_agrees_with_the_calendar_module_on_every_day() -> None:
    # Four years (a leap year among them), every start day, 0..36 months ahead.
    start = date(2023, 1, 1)
    for offset in range(4 * 366):
        day = start + timedelta(days=offset)
        for count in range(37):
            year, month = divmod(day.year * 12 + day.month - 1 + count, 12)
            last = calendar.monthrange(year, month + 1)[1]
            assert add_months(day, count) == date(year, month + 1, min(day.day, last))


def test_plain_ages_equal_the_rule_on_every_day_around_the_thresholds() -> None:
    rules = from_values(preterm_below_weeks=None, correct_until_months=None, aims_norms=None)
    birth = date(2024, 2, 29)
    for weeks, days in ((None, None), (23, 0), (36, 6), (37, 0), (41, 2)):
        child = SimpleNamespace(
            birth_date=birth, gestational_age_weeks=weeks, gestational_age_days=days
        )
        for offset in range(-2, 800, 7):
            on = birth + timedelta(days=offset)
            plain = age_plain(rules, child, on)
            if offset < 0:
                assert plain is None
                continue
            age = age_on(
                birth_date=birth, gestational_age_weeks=weeks, gestational_age_days=days, on=on
            )
            assert plain == {"as_of": on, **age.as_json()}


def test_months_are_who_months() -> None:
    assert months(0) == 0.0
    assert months(30) == pytest.approx(0.98563, abs=1e-5)
    assert months(365) == pytest.approx(11.99179, abs=1e-5)
    assert months(-61) == pytest.approx(-2.00411, abs=1e-5)


@pytest.mark.parametrize(
    ("since", "on", "years"),
    [
        (date(2021, 3, 1), date(2023, 2, 28), 1),
        (date(2021, 3, 1), date(2023, 3, 1), 2),  # 730 days: the birthday, not 2 x 365.25
        (date(2020, 2, 29), date(2021, 2, 27), 0),
        (date(2020, 2, 29), date(2021, 2, 28), 1),  # 29 February falls on 28 Feb
        (date(2020, 2, 29), date(2024, 2, 28), 3),
        (date(2020, 2, 29), date(2024, 2, 29), 4),
        (date(2024, 3, 1), date(2025, 2, 28), 0),
        (date(2024, 3, 1), date(2024, 3, 1), 0),
        (date(2024, 3, 1), date(2024, 2, 29), -1),
    ],
)
def test_completed_years_count_calendar_birthdays(since: date, on: date, years: int) -> None:
    assert completed_years(since, on) == years


def test_effective_years_count_from_the_term_date_while_corrected() -> None:
    # Born 28+0 (84 days early): term-equivalent date 2024-03-25.
    rule = AgeRule(correct_until_months=36)
    before = age_on(
        birth_date=date(2024, 1, 1),
        gestational_age_weeks=28,
        gestational_age_days=0,
        on=date(2025, 3, 24),
        rule=rule,
    )
    assert before.effective_years == 0
    after = age_on(
        birth_date=date(2024, 1, 1),
        gestational_age_weeks=28,
        gestational_age_days=0,
        on=date(2025, 3, 25),
        rule=rule,
    )
    assert after.effective_years == 1
    assert after.corrected_days == 365
    term = age_on(
        birth_date=date(2024, 1, 1),
        gestational_age_weeks=None,
        gestational_age_days=None,
        on=date(2025, 1, 1),
    )
    assert term.effective_years == 1
