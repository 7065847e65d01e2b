"""PDMS-2 and PDMS-3 raw totals with the basal and ceiling (golden cases in tests/golden)."""

from __future__ import annotations

from typing import Any

import pytest

from dmi_api.clinical.scoring import score_assessment
from tests.clinical.golden_cases import assert_matches, cases, expand_items


@pytest.mark.parametrize("case", cases("pdms"))
def test_golden_pdms(case: dict[str, Any]) -> None:
    scores = score_assessment(
        instrument=case["instrument"],
        items=expand_items(case),
        entered={},
        goal_dimensions=[],
        age=None,
    )
    assert scores is not None
    assert (
        scores["rule"]
        == {"pdms2": "pdms2@2nd-ed-r2", "pdms3": "pdms3@3rd-ed-r2"}[case["instrument"]]
    )
    assert_matches(scores, case["expected"])
