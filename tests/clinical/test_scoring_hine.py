"""HINE scoring and the optimality reference."""

from __future__ import annotations

from typing import Any

import pytest

from dmi_api.clinical.scoring import score_assessment
from tests.clinical.golden_cases import age_at, assert_matches, cases, expand_items


@pytest.mark.parametrize("case", cases("hine"))
def test_golden_hine(case: dict[str, Any]) -> None:
    dated = age_at(case)
    scores = score_assessment(
        instrument="hine",
        items=expand_items(case),
        entered={},
        goal_dimensions=[],
        age=None if dated is None else dated[1],
    )
    assert scores is not None
    assert scores["rule"] == "hine@haataja-1999"
    assert_matches(scores, case["expected"])


def test_hine_shape() -> None:
    scores = score_assessment(instrument="hine", items={}, entered={}, goal_dimensions=[], age=None)
    assert scores == {
        "rule": "hine@haataja-1999",
        "sections": {
            "cranial_nerves": {"raw": 0, "max": 15},
            "posture": {"raw": 0, "max": 18},
            "movements": {"raw": 0, "max": 6},
            "tone": {"raw": 0, "max": 24},
            "reflexes_reactions": {"raw": 0, "max": 15},
        },
        "global": 0,
        "max": 78,
        "items_tested": 0,
        "optimality": None,
    }
