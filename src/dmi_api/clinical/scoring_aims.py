"""AIMS position subscores with the manual's window credit, total, and the percentile from the
clinic's norms (`aims@piper-darrah-1994`).

Window credit (Piper & Darrah 1994, the AIMS manual's scoring): in each position the items run
from least to most mature; the least and the most mature item observed bound the position's
window. Every item below the window is credited as observed (the examiner need not elicit
skills the infant has clearly passed); items in the window count as recorded; items above it
are not observed. A subscore is the items credited plus the items observed.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dmi_api.clinical.ages import Age, months
from dmi_api.clinical.rounding import half_up
from dmi_api.clinical.scoring_common import score_of

# -r2: the percentile is rounded half up (12.125 -> 12.13), not with Python's round.
# -r3: the window credit; each position reports its window, items observed and items credited.
AIMS_RULE = "aims@piper-darrah-1994-r3"
AIMS_POSITIONS: dict[str, int] = {"prone": 21, "supine": 9, "sitting": 12, "standing": 16}
AIMS_MAX = 58
PERCENTILE_KEY = re.compile(r"[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class AimsNormRow:
    """One age row: (percentile, minimum total reaching it), ascending by percentile."""

    age_months: int
    thresholds: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class AimsNorms:
    """A clinic-supplied AIMS norm table (the published norms are licensed, so never shipped).

    JSON shape (JSON Schema terms)::

        {"type": "object", "required": ["name", "rows"], "properties": {
          "name": {"type": "string", "minLength": 1},
          "rows": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["age_months", "percentiles"], "properties": {
              "age_months": {"type": "integer", "minimum": 0},
              "percentiles": {"type": "object", "minProperties": 1,
                "propertyNames": {"pattern": "^[0-9]+(\\\\.[0-9]+)?$"},
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 58}}}}}}}

    `percentiles` maps a percentile (1-99) to the minimum AIMS total that reaches it.
    Rows are strictly increasing in `age_months`; within a row the minimum totals are
    non-decreasing as the percentile rises.
    """

    name: str
    rows: tuple[AimsNormRow, ...]

    @classmethod
    def from_json(cls, data: object) -> AimsNorms:
        """Build and check a table; raises ValueError naming the first problem found."""
        if not isinstance(data, Mapping):
            raise ValueError("AIMS norms: expected an object with 'name' and 'rows'")
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("AIMS norms: 'name' must be a non-empty string")
        rows = data.get("rows")
        if not isinstance(rows, list) or not rows:
            raise ValueError("AIMS norms: 'rows' must be a non-empty list")
        parsed: list[AimsNormRow] = []
        for index, row in enumerate(rows):
            parsed.append(_parse_row(index, row))
            if index and parsed[-1].age_months <= parsed[-2].age_months:
                raise ValueError(
                    f"AIMS norms: rows[{index}].age_months must be greater than the row before"
                )
        return cls(name=name, rows=tuple(parsed))

    def percentile(self, total: int, age_months: float) -> float | None:
        """The highest percentile `total` reaches in the row for floor(`age_months`), or None."""
        whole = math.floor(age_months)
        row = None
        for candidate in self.rows:
            if candidate.age_months <= whole:
                row = candidate
        if row is None:
            return None  # younger than the first row: the table says nothing
        reached = [p for p, minimum in row.thresholds if total >= minimum]
        return reached[-1] if reached else None


def _parse_row(index: int, row: object) -> AimsNormRow:
    where = f"AIMS norms: rows[{index}]"
    if not isinstance(row, Mapping):
        raise ValueError(f"{where} must be an object with 'age_months' and 'percentiles'")
    age = row.get("age_months")
    if isinstance(age, bool) or not isinstance(age, int) or age < 0:
        raise ValueError(f"{where}.age_months must be a non-negative integer")
    percentiles = row.get("percentiles")
    if not isinstance(percentiles, Mapping) or not percentiles:
        raise ValueError(f"{where}.percentiles must be a non-empty object")
    thresholds: dict[float, int] = {}
    for key, minimum in percentiles.items():
        percentile = _percentile_key(f"{where}.percentiles", key)
        if percentile in thresholds:
            raise ValueError(f"{where}.percentiles: percentile {key!r} is given twice")
        if (
            isinstance(minimum, bool)
            or not isinstance(minimum, int)
            or not 0 <= minimum <= AIMS_MAX
        ):
            raise ValueError(f"{where}.percentiles[{key!r}] must be an integer total 0-{AIMS_MAX}")
        thresholds[percentile] = minimum
    ordered = sorted(thresholds.items())
    for (low_p, low_min), (high_p, high_min) in itertools.pairwise(ordered):
        if high_min < low_min:
            raise ValueError(
                f"{where}.percentiles: the minimum total for {high_p:g} ({high_min}) is below "
                f"the one for {low_p:g} ({low_min}); totals must not decrease as percentiles rise"
            )
    return AimsNormRow(age_months=age, thresholds=tuple(ordered))


def _percentile_key(where: str, key: object) -> float:
    # JSON object keys are strings; a Python caller may pass ints. The pattern refuses what
    # `float` would quietly accept ("1_0", " 5", "nan").
    if (
        isinstance(key, bool)
        or not isinstance(key, int | str)
        or (isinstance(key, str) and PERCENTILE_KEY.fullmatch(key) is None)
    ):
        raise ValueError(f"{where}: key {key!r} is not a number")
    value = float(key)
    if not 1 <= value <= 99:
        raise ValueError(f"{where}: percentile {key!r} is outside 1-99")
    return value


def position_score(items: Mapping[str, object], position: str, count: int) -> dict[str, Any]:
    """One position's subscore: items observed, items credited below the window, the window."""
    observed = [n for n in range(1, count + 1) if score_of(items.get(f"{position}-{n}")) == 1]
    if not observed:
        return {"raw": 0, "max": count, "observed": 0, "credited": 0, "window": None}
    least, most = observed[0], observed[-1]
    credited = least - 1  # every item below the least mature item observed
    return {
        "raw": credited + len(observed),
        "max": count,
        "observed": len(observed),
        "credited": credited,
        "window": {"from_item": least, "to_item": most},
    }


def score_aims(
    *,
    items: Mapping[str, object],
    entered: Mapping[str, object],
    age: Age | None,
    aims_norms: AimsNorms | None,
) -> dict[str, Any]:
    """Position subscores (window credit) and total; percentile from clinic norms, else as
    entered."""
    positions = {
        position: position_score(items, position, count)
        for position, count in AIMS_POSITIONS.items()
    }
    total = sum(int(p["raw"]) for p in positions.values())
    percentile: float | None = None
    source: str | None = None
    if aims_norms is not None and age is not None:
        # Effective age: the AIMS norms are read at corrected age for children born < 37 weeks.
        percentile = aims_norms.percentile(total, months(age.effective_days))
        source = "clinic_norms" if percentile is not None else None
    entered_percentile = entered.get("percentile")
    if percentile is None and isinstance(entered_percentile, int | float):
        # Outside the clinic table (too young, or below its lowest percentile) the clinician's
        # own reading is still the best figure available.
        percentile, source = float(entered_percentile), "entered"
    return {
        "rule": AIMS_RULE,
        "positions": positions,
        "total": total,
        "max": AIMS_MAX,
        "percentile": None if percentile is None else half_up(percentile),
        "percentile_source": source,
    }
