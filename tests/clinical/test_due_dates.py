"""What falls due (rule `due-dates@2`): the golden cases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dmi_api.clinical.due_dates import RULE, ChildRecord, DueSchedule, due_items, ordinal
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
