"""The one rounding rule: half up (away from zero) to 2 decimals, on the value as printed."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmi_api.clinical.rounding import change, half_up, ratio_half_up


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Exact binary ties: half to even (round) gives 3.12, 0.12, 0.38 -> 0.38.
        (3.125, 3.13),
        (0.125, 0.13),
        (0.375, 0.38),
        # Decimal ties stored just below the tie: round() on the binary value gives 2.67, 1.0.
        (2.675, 2.68),
        (1.005, 1.01),
        (8.345, 8.35),
        (-3.125, -3.13),  # away from zero, symmetric with +3.125
        (72.549, 72.55),
        (33.334, 33.33),
        (100.0, 100.0),
        (0.0, 0.0),
        (-0.001, 0.0),  # no -0.0 in a result
        (7, 7.0),
    ],
)
def test_half_up_on_floats(value: float, expected: float) -> None:
    result = half_up(value)
    assert result == expected
    assert type(result) is float
    assert str(result) != "-0.0"


def test_this_is_not_pythons_round() -> None:
    # The cases above would all pass with a tolerance; these are the ones round() gets "wrong".
    assert [round(v, 2) for v in (3.125, 2.675, 0.125, 1.005)] == [3.12, 2.67, 0.12, 1.0]
    assert [half_up(v) for v in (3.125, 2.675, 0.125, 1.005)] == [3.13, 2.68, 0.13, 1.01]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(25, 8), 3.13),  # 3.125
        (Fraction(-25, 8), -3.13),
        (Fraction(75, 8), 9.38),  # 9.375, which a float sum can make 9.374999999999998
        (Fraction(100, 3), 33.33),
        (Fraction(200, 3), 66.67),
        (Fraction(1, 1000), 0.0),
    ],
)
def test_half_up_on_exact_fractions(value: Fraction, expected: float) -> None:
    assert half_up(value) == expected


def test_other_precisions() -> None:
    assert half_up(6.25, 1) == 6.3
    assert half_up(0.05, 1) == 0.1
    assert half_up(Fraction(1, 2), 0) == 1.0


@given(st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False))
def test_floats_round_as_the_decimal_they_print_as(value: Decimal) -> None:
    expected = float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert half_up(float(value)) == expected + 0.0
    assert half_up(Fraction(value)) == expected + 0.0


@given(
    st.integers(min_value=-(10**18), max_value=10**18),
    st.integers(min_value=1, max_value=10**12),
    st.integers(min_value=0, max_value=4),
)
def test_ratios_round_as_exact_decimals(numerator: int, denominator: int, places: int) -> None:
    """A ratio of whole numbers rounds as its exact decimal does, in Decimal's own arithmetic."""
    quantum = Decimal(1).scaleb(-places)
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(numerator) / Decimal(denominator)
        expected = float(exact.quantize(quantum, rounding=ROUND_HALF_UP)) + 0.0
    assert ratio_half_up(numerator, denominator, places) == expected
    assert half_up(Fraction(numerator, denominator), places) == expected
    assert str(ratio_half_up(numerator, denominator, places)) != "-0.0"


@pytest.mark.parametrize(
    ("now", "then", "expected"),
    [
        (66.67, 33.33, 33.34),  # 33.34000000000001 in floats
        (55.335, 50.0, 5.34),  # 5.335000000000001 in floats, a decimal tie
        (50.0, 55.335, -5.34),
        (0.3, 0.1, 0.2),
        (3.0, 3.0, 0.0),
        (4, 2, 2.0),
    ],
)
def test_change_subtracts_the_printed_values(now: float, then: float, expected: float) -> None:
    assert change(now, then) == expected
