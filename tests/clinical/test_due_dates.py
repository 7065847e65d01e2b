"""What falls due (rule `due-dates@2`): the golden cases."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from dmi_api.clinical.ages import AgeRule, add_months, age_on
from dmi_api.clinical.due_dates import RULE, ChildRecord, DueSchedule, due_items, ordinal
from dmi_api.clinical.record_warnings import assessment_warnings
from dmi_api.clinical.scoring import gmfcs_age_band
from tests.clinical.golden_cases import NONE, cases


@pytest.mark.parametrize("case", cases("due_dates"))
def test_golden_due_dates(case: dict[str, Any]) -> None:
    record = ChildRecord(
        birth_date=case["birth_date"],
        term_equivalent=case["term_equivalent"],
        in_care_since=case["in_care_since"],
        last=case.get("last", {}),
        walked_on=case.get("walked_on"),
        intensive=case.get("intensive", False),
        cerebral_palsy=case.get("cerebral_palsy", False),
    )
    found = {item["instrument"]: item for item in due_items(DueSchedule(), record, case["today"])}
    assert list(found) == ["gmfm88", "aims", "hine", "gmfcs", "dmi_evaluation"]
    for instrument, (due_on, status, basis) in case["expected"].items():
        item = found[instrument]
        expected = None if due_on == NONE else date.fromisoformat(due_on)
        assert (item["due_on"], item["status"], item["basis"]) == (expected, status, basis)
        assert item["rule"] == RULE
        assert item["last_performed_on"] == case.get("last", {}).get(instrument)


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 112)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "112th",
    ]


def _band_on(birth: date, on: date, rule: AgeRule) -> str:
    age = age_on(
        birth_date=birth, gestational_age_weeks=28, gestational_age_days=0, on=on, rule=rule
    )
    return gmfcs_age_band(age)


@pytest.mark.parametrize(
    ("correct_until_months", "birthdays", "expected", "band"),
    [
        # Corrected until 24 months (default): the 1st birthday counts from term (28 weeks:
        # 84 days after birth, 2024-03-25), the 2nd is the calendar one, when correction ends.
        (24, (1,), "2025-03-25", "<2"),
        (24, (2,), "2026-01-01", "2-4"),
        # Corrected until 36 months: the 2nd birthday is term + 2 years (the band changes then);
        # the 4th is the calendar one, correction having ended.
        (36, (2,), "2026-03-25", "2-4"),
        (36, (4,), "2028-01-01", "4-6"),
        # Corrected until 27 months (2026-04-01): the corrected 2nd birthday (2026-03-25) comes
        # first.
        (27, (2,), "2026-03-25", "2-4"),
    ],
)
def test_gmfcs_birthdays_are_those_of_the_effective_age(
    correct_until_months: int, birthdays: tuple[int, ...], expected: str, band: str
) -> None:
    # Born 2024-01-01 at 28+0 weeks, with cerebral palsy, in care since birth; a GMFCS rating
    # on the day it falls due is in the band of that birthday, the day before in the one before.
    birth, rule = date(2024, 1, 1), AgeRule(correct_until_months=correct_until_months)
    record = ChildRecord(
        birth_date=birth,
        term_equivalent=date(2024, 3, 25),
        in_care_since=birth,
        last={},
        walked_on=None,
        intensive=False,
        cerebral_palsy=True,
        corrected_until=add_months(birth, correct_until_months),
    )
    schedule = DueSchedule(gmfcs_at_birthdays=birthdays)
    [gmfcs] = [i for i in due_items(schedule, record, birth) if i["instrument"] == "gmfcs"]
    due_on = date.fromisoformat(expected)
    assert gmfcs["due_on"] == due_on
    assert _band_on(birth, due_on, rule) == band
    if band != "<2":
        assert _band_on(birth, due_on - timedelta(days=1), rule) != band


@pytest.mark.parametrize(
    ("correct_until_months", "last_day"),
    [
        # Default: corrected throughout; day 547 of the corrected age is term (2024-03-25) + 547.
        (24, date(2025, 9, 23)),
        # Corrected until 12 months: chronological from 2025-01-01, day 547 from birth.
        (12, date(2025, 7, 1)),
    ],
)
def test_the_aims_applies_while_its_warning_says_in_range(
    correct_until_months: int, last_day: date
) -> None:
    # Born 2024-01-01 at 28+0 weeks, in care since birth, no AIMS yet.
    birth, rule = date(2024, 1, 1), AgeRule(correct_until_months=correct_until_months)
    record = ChildRecord(
        birth_date=birth,
        term_equivalent=date(2024, 3, 25),
        in_care_since=birth,
        last={},
        walked_on=None,
        intensive=False,
        cerebral_palsy=False,
        corrected_until=add_months(birth, correct_until_months),
    )

    def aims(today: date) -> tuple[str, list[str]]:
        [item] = [i for i in due_items(DueSchedule(), record, today) if i["instrument"] == "aims"]
        age = age_on(
            birth_date=birth, gestational_age_weeks=28, gestational_age_days=0, on=today, rule=rule
        )
        warned = assessment_warnings(
            instrument="aims", final=True, items={}, age=age, walked_on=None, performed_on=today
        )
        return item["status"], [w["code"] for w in warned]

    assert aims(last_day) == ("overdue", [])
    assert aims(last_day + timedelta(days=1)) == ("not_applicable", ["outside_age_range"])


def test_a_hine_at_24_months_falls_due_within_the_hines_range() -> None:
    # Born 2023-03-01 at term: 24 calendar months later is 2025-03-01, day 731 (2024 is a leap
    # year), past the HINE's 24.0 months of 30.4375 days (730.5 days: day 730 is the last).
    birth = date(2023, 3, 1)
    record = ChildRecord(
        birth_date=birth,
        term_equivalent=birth,
        in_care_since=birth,
        last={"hine": date(2024, 3, 1)},
        walked_on=None,
        intensive=False,
        cerebral_palsy=False,
    )
    schedule = DueSchedule(hine_at_months=(12, 24))

    def hine(today: date) -> tuple[date | None, str, list[str]]:
        [item] = [i for i in due_items(schedule, record, today) if i["instrument"] == "hine"]
        on = item["due_on"] or today
        age = age_on(birth_date=birth, gestational_age_weeks=40, gestational_age_days=0, on=on)
        warned = assessment_warnings(
            instrument="hine", final=False, items={}, age=age, walked_on=None, performed_on=on
        )
        return item["due_on"], item["status"], [w["code"] for w in warned]

    assert hine(date(2025, 2, 20)) == (date(2025, 2, 28), "due", [])
    assert hine(date(2025, 3, 1)) == (None, "not_applicable", ["outside_age_range"])
