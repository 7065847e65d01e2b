"""Loading and checking the golden cases in tests/golden/*.toml."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from dmi_api.clinical.ages import Age, AgeRule, age_on

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
NONE = "none"  # TOML has no null: the golden files write "none"
ITEM_KEY = re.compile(r"(?:(?P<prefix>[a-z_]+)-)?(?P<first>\d+)(?:\.\.(?P<last>\d+))?")


def load(name: str) -> dict[str, Any]:
    """The whole parsed golden file `tests/golden/<name>.toml`."""
    with (GOLDEN / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def cases(name: str) -> list[Any]:
    """The `[[case]]` tables of a golden file as pytest params, ids = case names."""
    loaded = load(name)["case"]
    names = [c["name"] for c in loaded]
    assert len(names) == len(set(names)), f"{name}.toml: case names must be unique"
    return [pytest.param(case, id=case["name"]) for case in loaded]


def expand_items(case: Mapping[str, Any], *, fill_ids: range | None = None) -> dict[str, object]:
    """Items from `fill` (every id in `fill_ids`), then `items` ("1..10", "prone-1..8": ranges)."""
    items: dict[str, object] = {}
    if "fill" in case:
        assert fill_ids is not None, "`fill` is only for instruments with numbered items"
        items.update({str(n): case["fill"] for n in fill_ids})
    for key, value in case.get("items", {}).items():
        match = ITEM_KEY.fullmatch(key)
        assert match, f"not an item id or range: {key!r}"
        first = int(match["first"])
        last = int(match["last"] or first)
        prefix = f"{match['prefix']}-" if match["prefix"] else ""
        items.update({f"{prefix}{n}": value for n in range(first, last + 1)})
    return items


def age_at(case: Mapping[str, Any], when: date | int | None = None) -> tuple[date, Age] | None:
    """The case child's (date, Age) on `when` (a date or days since birth; default: now)."""
    if "birth_date" not in case:
        return None
    birth: date = case["birth_date"]
    if when is None:
        when = case["on"] if "on" in case else case["age_days"]
    on = when if isinstance(when, date) else birth + timedelta(days=when)
    age = age_on(
        birth_date=birth,
        gestational_age_weeks=case.get("gestational_age_weeks"),
        gestational_age_days=case.get("gestational_age_days"),
        on=on,
        rule=AgeRule(**case.get("rule", {})),
    )
    return on, age


def assert_matches(actual: object, expected: object, where: str = "scores") -> None:
    """`actual` has every key and value of `expected`; floats exactly, "none" means None."""
    if expected == NONE:
        assert actual is None, f"{where}: expected none, got {actual!r}"
    elif isinstance(expected, Mapping):
        assert isinstance(actual, Mapping), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}: missing {key!r}"
            assert_matches(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        assert len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            assert_matches(got, want, f"{where}[{index}]")
    elif isinstance(expected, bool | str):
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
        assert type(actual) is type(expected), f"{where}: {actual!r} is not {type(expected)}"
    elif isinstance(expected, int):
        # An int in the golden file is an exact count or raw score, never a rounded figure.
        assert type(actual) is int, f"{where}: expected the integer {expected}, got {actual!r}"
        assert actual == expected, f"{where}: {actual} != {expected}"
    elif isinstance(expected, float):
        assert type(actual) in (int, float), f"{where}: expected a number, got {actual!r}"
        assert isinstance(actual, int | float)
        # Exactly: every reported value is rounded half up to 2 decimals, so 3.13 must be 3.13
        # (a tolerance would let half-even's 3.12 or the unrounded 3.125 through).
        assert actual == expected, f"{where}: {actual} != {expected}"
    else:
        raise AssertionError(f"{where}: unsupported expected value {expected!r}")
