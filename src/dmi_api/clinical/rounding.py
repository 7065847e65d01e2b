"""The one rounding rule of every computed value the API reports: half up, 2 decimals.

A tie rounds away from zero (3.125 -> 3.13, -3.125 -> -3.13), as a clinician rounds by hand
and as spreadsheets do. A float is rounded as the decimal it prints as (its shortest repr),
not as its binary value: 1.005 is stored as 1.00499999999999989..., and Python's `round`
(half to even on the binary value) gives 1.0 and rounds 3.125 to 3.12; here both go up.
A `Fraction` is rounded exactly, so a value computed exactly never goes through a float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

PLACES = 2


def half_up(value: float | Fraction, places: int = PLACES) -> float:
    """`value` rounded half away from zero to `places` decimals (default 2)."""
    if isinstance(value, Fraction):
        return ratio_half_up(value.numerator, value.denominator, places)
    if isinstance(value, int):
        return float(value)
    step = Decimal(1).scaleb(-places)
    # + 0.0 turns -0.0 (a tiny negative rounded away) into 0.0, which JSON shows as 0.0.
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP)) + 0.0


def ratio_half_up(numerator: int, denominator: int, places: int = PLACES) -> float:
    """`numerator / denominator` (`denominator` > 0) rounded half away from zero, exactly: in
    whole numbers, scaled, plus half of the last place, truncated (no Fraction, no Decimal).
    The division of two ints is correctly rounded, so the float is the one the decimal prints."""
    scale: int = 10**places
    whole = (2 * abs(numerator) * scale + denominator) // (2 * denominator)
    return (whole if numerator >= 0 else -whole) / scale + 0.0


def change(now: float, then: float) -> float:
    """`now - then` rounded by `half_up`, subtracting the values as they print (no float error)."""
    # 55.335 - 50.0 is 5.335000000000001 in floats; as decimals it is the tie 5.335 -> 5.34.
    return half_up(Fraction(repr(now)) - Fraction(repr(then)))
