"""AIMS scoring and the clinic norm table."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dmi_api.clinical.ages import Age
from dmi_api.clinical.scoring import AimsNorms, score_assessment
from tests.clinical.golden_cases import age_at, assert_matches, cases, expand_items, load

NORMS = load("aims")["norms"]


@pytest.mark.parametrize("case", cases("aims"))
def test_golden_aims(case: dict[str, Any]) -> None:
    dated = age_at(case)
    scores = score_assessment(
        instrument="aims",
        items=expand_items(case),
        entered=case.get("entered", {}),
        goal_dimensions=[],
        age=None if dated is None else dated[1],
        aims_norms=AimsNorms.from_json(NORMS) if case.get("use_norms") else None,
    )
    assert scores is not None
    assert scores["rule"] == "aims@piper-darrah-1994-r3"
    assert_matches(scores, case["expected"])


def test_aims_shape() -> None:
    scores = score_assessment(instrument="aims", items={}, entered={}, goal_dimensions=[], age=None)
    assert scores == {
        "rule": "aims@piper-darrah-1994-r3",
        "positions": {
            "prone": {"raw": 0, "max": 21, "observed": 0, "credited": 0, "window": None},
            "supine": {"raw": 0, "max": 9, "observed": 0, "credited": 0, "window": None},
            "sitting": {"raw": 0, "max": 12, "observed": 0, "credited": 0, "window": None},
            "standing": {"raw": 0, "max": 16, "observed": 0, "credited": 0, "window": None},
        },
        "total": 0,
        "max": 58,
        "percentile": None,
        "percentile_source": None,
    }


def test_norms_parse_into_ordered_rows() -> None:
    norms = AimsNorms.from_json(NORMS)
    assert norms.name.startswith("invented")
    assert [row.age_months for row in norms.rows] == [2, 4, 6, 8]
    assert norms.rows[1].thresholds == (
        (5.0, 10),
        (10.0, 11),
        (25.0, 13),
        (50.0, 15),
        (75.0, 17),
        (90.0, 19),
    )


@pytest.mark.parametrize(
    ("total", "age_months", "expected"),
    [
        (15, 4.0, 50.0),
        (14, 4.99, 25.0),
        (15, 5.999, 50.0),  # still the 4-month row
        (15, 6.0, None),  # the 6-month row: 15 < 18
        (9, 1.999, None),  # before the first row
        (9, -2.7, None),  # before term (negative corrected age)
        (58, 30.0, 90.0),  # past the last row: the last row
        (4, 2.0, 5.0),
    ],
)
def test_percentile_lookup(total: int, age_months: float, expected: float | None) -> None:
    assert AimsNorms.from_json(NORMS).percentile(total, age_months) == expected


def test_fractional_percentile_keys_are_accepted() -> None:
    table = {"name": "t", "rows": [{"age_months": 0, "percentiles": {"2.5": 1, "97.5": 9}}]}
    assert AimsNorms.from_json(table).percentile(9, 0.5) == 97.5


def test_norms_need_an_age_for_a_lookup() -> None:
    scores = score_assessment(
        instrument="aims",
        items={"prone-1": 1},
        entered={},
        goal_dimensions=[],
        age=None,
        aims_norms=AimsNorms.from_json(NORMS),
    )
    assert scores is not None
    assert (scores["percentile"], scores["percentile_source"]) == (None, None)


def test_preterm_before_term_falls_back_to_the_entered_percentile() -> None:
    scores = score_assessment(
        instrument="aims",
        items={"prone-1": 1},
        entered={"percentile": 12.5},
        goal_dimensions=[],
        age=Age(chronological_days=30, corrected_days=-82, effective_years=-1),
        aims_norms=AimsNorms.from_json(NORMS),
    )
    assert scores is not None
    assert (scores["percentile"], scores["percentile_source"]) == (12.5, "entered")


def _with(path: tuple[Any, ...], value: object) -> dict[str, Any]:
    table: dict[str, Any] = copy.deepcopy(NORMS)
    target: Any = table
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return table


ROW0 = ("rows", 0)
ROW0_P = ("rows", 0, "percentiles")
# (case id, path in the invented table, value put there, expected message pattern)
BROKEN: list[tuple[str, tuple[Any, ...], object, str]] = [
    ("empty name", ("name",), "", "'name' must be a non-empty string"),
    ("no rows", ("rows",), [], "'rows' must be a non-empty list"),
    ("row not object", ("rows", 1), "x", r"rows\[1\] must be an object"),
    ("age repeated", ("rows", 1, "age_months"), 2, r"rows\[1\]\.age_months must be greater"),
    ("age decreasing", ("rows", 2, "age_months"), 3, r"rows\[2\]\.age_months must be greater"),
    ("negative age", (*ROW0, "age_months"), -1, "non-negative integer"),
    ("fractional age", (*ROW0, "age_months"), 2.5, "non-negative integer"),
    ("boolean age", (*ROW0, "age_months"), True, "non-negative integer"),
    ("no percentiles", (*ROW0, "percentiles"), {}, "non-empty object"),
    ("key not numeric", (*ROW0_P, "p50"), 7, "'p50' is not a number"),
    ("key with space", (*ROW0_P, " 5"), 7, "is not a number"),
    ("key nan", (*ROW0_P, "nan"), 7, "is not a number"),
    ("percentile 0", (*ROW0_P, "0"), 0, "outside 1-99"),
    ("percentile 100", (*ROW0_P, "100"), 58, "outside 1-99"),
    ("percentile repeated", (*ROW0_P, "05"), 4, "given twice"),
    ("score above 58", (*ROW0_P, "90"), 59, "integer total 0-58"),
    ("score negative", (*ROW0_P, "90"), -1, "integer total 0-58"),
    ("score fractional", (*ROW0_P, "90"), 8.5, "integer total 0-58"),
    ("score boolean", (*ROW0_P, "5"), False, "integer total 0-58"),
    ("score decreasing", (*ROW0_P, "75"), 3, "must not decrease"),
]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param([1, 2], "expected an object", id="not an object"),
        pytest.param({"rows": []}, "'name' must be a non-empty string", id="no name"),
        *(pytest.param(_with(path, value), msg, id=name) for name, path, value, msg in BROKEN),
    ],
)
def test_malformed_norms_are_refused(table: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AimsNorms.from_json(table)


def test_equal_minimums_for_neighbouring_percentiles_are_allowed() -> None:
    table = {"name": "t", "rows": [{"age_months": 3, "percentiles": {"5": 6, "10": 6, "25": 8}}]}
    assert AimsNorms.from_json(table).percentile(6, 3.2) == 10.0
