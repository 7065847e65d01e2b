"""Record warnings (rule `record-warnings@1`): the golden cases and the coverage note."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

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
