"""The catalogue of assessment instruments: valid item ids, score scales and entered values.

Only item ids and scores are known here, never item wording (the instruments are copyrighted).
Sources: GMFM-88/66 (Russell et al., 3rd ed.), AIMS (Piper & Darrah), HINE (Haataja 1999),
PDMS-2, PDMS-3, GMFCS-E&R, FEAS; see domain.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictInt, ValidationError
from pydantic_core import PydanticCustomError

from dmi_api.errors import FieldProblem, json_pointer
from dmi_api.schemas.base import RequestModel

Instrument = Literal[
    "gmfm88",
    "gmfm66",
    "aims",
    "hine",
    "pdms2",
    "pdms3",
    "gmfcs",
    "dmi_evaluation",
    "feas",
    "fedc",
    "custom",
]
GoalDimension = Literal["A", "B", "C", "D", "E"]
Errors = list[FieldProblem]
MAX_ITEMS = 300
FREE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

PDMS2_SUBTESTS: dict[str, int] = {
    "reflexes": 8,
    "stationary": 30,
    "locomotion": 89,
    "object_manipulation": 24,
    "grasping": 26,
    "visual_motor_integration": 72,
}
AIMS_POSITIONS: dict[str, int] = {"prone": 21, "supine": 9, "sitting": 12, "standing": 16}
Pdms2Subtest = Literal[
    "reflexes",
    "stationary",
    "locomotion",
    "object_manipulation",
    "grasping",
    "visual_motor_integration",
]
Pdms3Subtest = Literal[
    "body_control",
    "body_transport",
    "object_control",
    "hand_manipulation",
    "eye_hand_coordination",
    "physical_fitness",
]
# PDMS-3 item counts per subtest are not in our sources: 60 bounds every subtest.
PDMS3_SUBTESTS: dict[str, int] = dict.fromkeys(get_args(Pdms3Subtest), 60)
ROMAN_LEVELS = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}


def _numbered(count: int) -> frozenset[str]:
    return frozenset(str(n) for n in range(1, count + 1))


def _prefixed(groups: Mapping[str, int]) -> frozenset[str]:
    return frozenset(f"{name}-{n}" for name, count in groups.items() for n in range(1, count + 1))


def _integers(low: int, high: int, *extra: str) -> Callable[[object], bool]:
    # `type(...) is int`: JSON true/false are not scores.
    return lambda value: (type(value) is int and low <= value <= high) or value in extra


def _free_value(value: object) -> bool:
    if type(value) in (int, float):
        number = float(value)  # type: ignore[arg-type]
        return math.isfinite(number) and 0 <= number <= 100
    return type(value) is str and 1 <= len(value) <= 50


def _level(value: object) -> object:
    if isinstance(value, str):
        if value not in ROMAN_LEVELS:
            raise PydanticCustomError("gmfcs_level", "A level is 1 to 5 or I to V.")
        return ROMAN_LEVELS[value]
    if type(value) is not int:
        raise PydanticCustomError("gmfcs_level", "A level is 1 to 5 or I to V.")
    return value


Percent = Annotated[float, Field(ge=0, le=100)]
Quotient = Annotated[StrictInt, Field(ge=35, le=165, description="A normed quotient, 35 to 165.")]
StandardScore = Annotated[
    StrictInt, Field(ge=1, le=20, description="A subtest standard score, 1-20.")
]


class Gmfm66Entered(RequestModel):
    """What the GMAE-2 software reports (never computed here)."""

    gmae_score: Percent | None = None
    standard_error: float | None = Field(default=None, ge=0, le=100)
    ci95_low: Percent | None = None
    ci95_high: Percent | None = None


class Pdms2Entered(RequestModel):
    """Normed PDMS-2 scores read from the licensed tables."""

    standard_scores: dict[Pdms2Subtest, StandardScore] | None = None
    gmq: Quotient | None = None
    fmq: Quotient | None = None
    tmq: Quotient | None = None


class Pdms3Entered(RequestModel):
    """Normed PDMS-3 scores read from the licensed tables."""

    standard_scores: dict[Pdms3Subtest, StandardScore] | None = None
    gmq: Quotient | None = None
    fmq: Quotient | None = None
    tmq: Quotient | None = None


class GmfcsEntered(RequestModel):
    """The observed GMFCS-E&R level (stored as 1-5)."""

    level: Annotated[StrictInt, BeforeValidator(_level), Field(ge=1, le=5)] | None = None


class FedcEntered(RequestModel):
    """The Functional Emotional Developmental Capacity observed (DIR: 1-6, advanced 7-9)."""

    level: StrictInt | None = Field(default=None, ge=1, le=9)


class AimsEntered(RequestModel):
    """A percentile from the norm tables the clinic supplies."""

    percentile: Percent | None = None


@dataclass(frozen=True)
class InstrumentSpec:
    """How one instrument's items and entered values are checked."""

    item_ids: frozenset[str] | None  # None: free ids (FREE_ID)
    accepts: Callable[[object], bool]
    values_doc: str
    entered: type[BaseModel] | None = None  # None: free keys and values like items
    entered_allowed: StrictBool = True
    goal_dimensions: StrictBool = False
    required_when_final: tuple[str, ...] = ()


_GMFM_VALUES = "0, 1, 2, 3 or NT"
CATALOGUE: dict[str, InstrumentSpec] = {
    "gmfm88": InstrumentSpec(
        _numbered(88),
        _integers(0, 3, "NT"),
        _GMFM_VALUES,
        entered_allowed=False,
        goal_dimensions=True,
    ),
    # The GMFM-66 items are a subset of the GMFM-88 numbers; GMAE-2 scores them.
    "gmfm66": InstrumentSpec(
        _numbered(88), _integers(0, 3, "NT"), _GMFM_VALUES, Gmfm66Entered, goal_dimensions=True
    ),
    "aims": InstrumentSpec(_prefixed(AIMS_POSITIONS), _integers(0, 1), "0 or 1", AimsEntered),
    "hine": InstrumentSpec(_numbered(26), _integers(0, 3), "0 to 3", entered_allowed=False),
    "pdms2": InstrumentSpec(_prefixed(PDMS2_SUBTESTS), _integers(0, 2), "0, 1 or 2", Pdms2Entered),
    "pdms3": InstrumentSpec(_prefixed(PDMS3_SUBTESTS), _integers(0, 2), "0, 1 or 2", Pdms3Entered),
    "gmfcs": InstrumentSpec(
        frozenset(), _integers(0, -1), "none", GmfcsEntered, required_when_final=("level",)
    ),
    "feas": InstrumentSpec(_numbered(60), _integers(0, 2), "0, 1 or 2", entered_allowed=False),
    "fedc": InstrumentSpec(
        frozenset(), _integers(0, -1), "none", FedcEntered, required_when_final=("level",)
    ),
    "dmi_evaluation": InstrumentSpec(None, _free_value, "a number 0-100 or text ≤ 50"),
    "custom": InstrumentSpec(None, _free_value, "a number 0-100 or text ≤ 50"),
}


def item_errors(instrument: str, items: Mapping[str, Any]) -> Errors:
    """Unknown item ids and out-of-range scores, each at `#/items/<id>` (values never echoed)."""
    spec = CATALOGUE[instrument]
    errors: Errors = []
    for key, value in items.items():
        where = json_pointer(("items", key))
        known = FREE_ID.match(key) if spec.item_ids is None else key in spec.item_ids
        if not known:
            errors.append(FieldProblem(where, f"Not an item id of {instrument}.", "unknown_item"))
        elif not spec.accepts(value):
            errors.append(
                FieldProblem(where, f"A score is {spec.values_doc}.", "score_out_of_range")
            )
    return errors


def entered_errors(
    instrument: str, entered: Mapping[str, Any], *, final: StrictBool
) -> tuple[Errors, dict[str, Any]]:
    """Errors of the clinician-entered values, and the values as stored."""
    spec = CATALOGUE[instrument]
    if not spec.entered_allowed:
        detail = f"{instrument} has no entered values; the server computes its scores."
        return [
            FieldProblem(json_pointer(("entered", key)), detail, "unknown_field") for key in entered
        ], {}
    if spec.entered is None:
        # Free instruments: entered values follow the rules of their items.
        return item_errors(instrument, entered), dict(entered)
    try:
        model = spec.entered.model_validate(dict(entered))
    except ValidationError as invalid:
        return [
            FieldProblem(json_pointer(("entered", *e["loc"])), e["msg"], e["type"])
            for e in invalid.errors()
        ], {}
    values: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    errors: Errors = []
    if isinstance(model, Gmfm66Entered):
        errors += _interval_errors(model)
    if final:
        errors += [
            FieldProblem(
                json_pointer(("entered", name)), "Required when the status is final.", "missing"
            )
            for name in spec.required_when_final
            if name not in values
        ]
    return errors, values


def _interval_errors(model: Gmfm66Entered) -> Errors:
    # ci95_low ≤ gmae_score ≤ ci95_high, for whichever of them are given.
    low, score, high = model.ci95_low, model.gmae_score, model.ci95_high
    bounds = [v for v in (low, score, high) if v is not None]
    if bounds == sorted(bounds):
        return []
    above = [v for v in (score, high) if v is not None]
    low_wrong = low is not None and bool(above) and low > min(above)
    where = json_pointer(("entered", "ci95_low" if low_wrong else "ci95_high"))
    detail = "Needs ci95_low ≤ gmae_score ≤ ci95_high."
    return [FieldProblem(where, detail, "ci_out_of_order")]


def goal_dimension_errors(instrument: str, dimensions: list[str]) -> Errors:
    """Goal dimensions are for the GMFM only, each named once."""
    if not dimensions:
        return []
    if not CATALOGUE[instrument].goal_dimensions:
        detail = "Goal dimensions apply to gmfm88 and gmfm66 only."
        return [FieldProblem("#/goal_dimensions", detail, "not_applicable")]
    if len(set(dimensions)) != len(dimensions):
        return [FieldProblem("#/goal_dimensions", "Each dimension at most once.", "duplicate")]
    return []
