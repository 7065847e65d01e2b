"""Adherence of a prescription: delivered / prescribed dose over a window (rule `adherence@4`).

What a clinician reads from the result:

- **Counted days.** The days of the window `[window_from, window_to]` that fall inside the
  prescription period `[period_start, period_end]` (an open-ended period runs to `window_to`),
  minus the paused days. `active_days` is their number; `paused_days` is the number of days inside
  window and period that a pause covered.
- **Pauses.** Each pause is `{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD" | null}` as the
  prescription service writes it: `start` is the day the pause took effect and `end` is the day the
  next status (active again, completed or discontinued) took effect, so a pause covers
  `start <= day < end`; a pause that ends on the day it starts covers no day. While `end` is null
  the pause covers every day from `start` on.
- **Prescribed dose of an item.** `occasions = times_per_day * days_per_week * active_days / 7`
  (a weekly schedule spread evenly over the counted days, so it can be fractional) and
  `repetitions = occasions * (sets or 1) * (repetitions or 1)`. An item without `times_per_day` or
  without `days_per_week` has no schedule: its prescribed dose and its percentages are null, but
  what was delivered is still reported.
- **Delivered dose of an item.** Only deliveries on counted days count (not during a pause, not
  outside the window or the period). A delivery belongs to an item when it names the item's id, or
  when it names no item and its exercise is the item's exercise and that exercise appears in exactly
  one item of the prescription; an un-itemized delivery of an exercise prescribed in two or more
  items is ambiguous and counts for none of them. Across the child's prescriptions the same holds
  (`claimed`, applied first): an entry naming no item whose exercise is in items of two
  prescriptions that count its day counts for neither. A delivery naming an item that is not in
  `items` counts for none. Each delivery delivers `(sets or 1) * (repetitions or 1)` repetitions: a
  count left out means one, but an entry recorded with 0 repetitions or 0 sets delivered 0 and is
  not a delivered occasion. `occasions` is the number of deliveries that delivered at least one
  repetition and `repetitions` the sum of what they delivered, also split by source: `clinic`
  (any session type but home practice) and `home` (caregiver home-practice logs).
- **Percent** = delivered / prescribed * 100, rounded half up to 2 decimals and not capped, so
  over-delivery shows above 100; null when the prescribed value is null or 0 (no counted day).
- **Overall** sums the scheduled items only (an unscheduled item has nothing to compare with).
- **Rounding** is the API's one rule (`rounding.half_up`): half away from zero on the shortest
  decimal form of the value, to 2 decimals, prescribed values and percentages alike; percentages
  are computed exactly (fractions) from unrounded values, so that a tie is not nudged below it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, NamedTuple

from dmi_api.clinical.rounding import half_up

# @3: doses and percents computed exactly (fractions): a tie rounds half up (@2 divided in floats).
# @4: no day after the clinic's today is counted (@3 counted the days of a window asked past
# today, and a prescription not begun got one day ahead: 0 % of a dose not due yet); an entry
# naming no item is matched among all the child's prescriptions of its day (`claimed`: @3
# counted it for each prescription with its exercise in one item).
RULE = "adherence@4"
SOURCES = ("clinic", "home")


@dataclass(frozen=True)
class ItemDose:
    """The scheduled dose of one prescription item."""

    item_id: uuid.UUID
    exercise_id: uuid.UUID
    repetitions: int | None
    sets: int | None
    times_per_day: int | None
    days_per_week: int | None


class Delivery(NamedTuple):
    """One exercise entry of an attended session record, on the day it happened (a tuple: a
    report makes one per exercise of every session)."""

    on: date
    item_id: uuid.UUID | None
    exercise_id: uuid.UUID
    repetitions: int | None
    sets: int | None
    source: str  # "clinic" (any session type but home_practice) or "home" (home_practice)


@dataclass
class _Tally:
    """Delivered occasions and repetitions, accumulated."""

    occasions: int = 0
    repetitions: int = 0

    def add(self, repetitions: int) -> None:
        """Count one delivery of `repetitions` repetitions."""
        self.occasions += 1
        self.repetitions += repetitions

    def as_dict(self) -> dict[str, int]:
        """The tally as output."""
        return {"occasions": self.occasions, "repetitions": self.repetitions}


def _as_date(value: Any, field: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"pause {field} must be an ISO date, not {value!r}")


@dataclass(frozen=True)
class CountedDays:
    """The days from `first` to `last` inclusive but the paused ones, as bounds: a membership
    test and a count however long the window (a report over a child's life spans years)."""

    first: date
    last: date
    paused: tuple[tuple[date, date], ...]  # inside first..last, in order, apart

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last and not any(
            start <= day <= end for start, end in self.paused
        )

    def __len__(self) -> int:
        return max(0, (self.last - self.first).days + 1) - self.paused_days

    @property
    def paused_days(self) -> int:
        return sum((end - start).days + 1 for start, end in self.paused)


def _merged(spans: list[tuple[date, date]]) -> tuple[tuple[date, date], ...]:
    """The union of the spans (inclusive days) as spans in order, none touching another."""
    found: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if found and start <= found[-1][1] + timedelta(days=1):
            found[-1] = (found[-1][0], max(found[-1][1], end))
        else:
            found.append((start, end))
    return tuple(found)


def counted_days(
    period_start: date,
    period_end: date | None,
    pauses: Sequence[Mapping[str, Any]],
    window_from: date,
    window_to: date,
) -> tuple[CountedDays, int]:
    """The counted days and the number of paused days inside window and period (also the days
    of an intensive block: `intensive_blocks`)."""
    first = max(window_from, period_start)
    last = min(window_to, period_end if period_end is not None else window_to)
    paused = []
    for pause in pauses:
        start = _as_date(pause.get("start"), "start")
        end = pause.get("end")
        # `end` is the day the program resumed (exclusive); an open pause runs past the window.
        until = last if end is None else _as_date(end, "end") - timedelta(days=1)
        if max(start, first) <= min(until, last):
            paused.append((max(start, first), min(until, last)))
    days = CountedDays(first, last, _merged(paused))
    return days, days.paused_days


@dataclass(frozen=True)
class Running:
    """A prescription as entries naming no item are matched to it: its days and its items."""

    period_start: date
    last_day: date | None  # its last day (`period_end`, or the day before it finished)
    pauses: Sequence[Mapping[str, Any]]
    items: Sequence[ItemDose]


def claimed(deliveries: Sequence[Delivery], prescriptions: Sequence[Running]) -> list[Delivery]:
    """The deliveries with an entry naming no item given the one item of its exercise among
    the child's prescriptions that count its day; left out when several items have it, of one
    prescription or of two (it could be either: counted by both, one practice would count
    twice), or none does."""
    if not deliveries:
        return []
    first, last = min(d.on for d in deliveries), max(d.on for d in deliveries)
    running = [
        (counted_days(p.period_start, p.last_day, p.pauses, first, last)[0], p.items)
        for p in prescriptions
    ]
    found: list[Delivery] = []
    for delivery in deliveries:
        if delivery.item_id is not None:
            found.append(delivery)
            continue
        candidates = [
            item.item_id
            for days, items in running
            if delivery.on in days
            for item in items
            if item.exercise_id == delivery.exercise_id
        ]
        if len(candidates) == 1:
            found.append(delivery._replace(item_id=candidates[0]))
    return found


def _item_of(
    delivery: Delivery, ids: set[uuid.UUID], by_exercise: dict[uuid.UUID, uuid.UUID]
) -> uuid.UUID | None:
    """The item a delivery counts for, or None when it names another item or is ambiguous."""
    if delivery.item_id is not None:
        return delivery.item_id if delivery.item_id in ids else None
    return by_exercise.get(delivery.exercise_id)


def entry_repetitions(sets: int | None, repetitions: int | None) -> int:
    """The repetitions one recorded exercise entry delivered: (sets or 1) x (repetitions or 1),
    a count left out is one, a count of 0 is none (also the delivered dose of an intensive
    block: `services.intensive_blocks`)."""
    return (1 if sets is None else sets) * (1 if repetitions is None else repetitions)


def _percent(delivered: int, prescribed: Fraction) -> float | None:
    if prescribed == 0:
        return None
    # Exact: 23 of 160 is the tie 14.375 -> 14.38, which a float division puts just below.
    return half_up(100 * delivered / prescribed)


def _prescribed(item: ItemDose, active_days: int) -> tuple[Fraction, Fraction] | None:
    """Unrounded prescribed (occasions, repetitions), exact, or None for an unscheduled item."""
    if item.times_per_day is None or item.days_per_week is None:
        return None
    occasions = Fraction(item.times_per_day * item.days_per_week * active_days, 7)
    return occasions, occasions * (item.sets or 1) * (item.repetitions or 1)


def _dose(values: tuple[Fraction, Fraction]) -> dict[str, float]:
    return {"occasions": half_up(values[0], 2), "repetitions": half_up(values[1], 2)}


def _percents(
    delivered: _Tally, prescribed: tuple[Fraction, Fraction] | None
) -> dict[str, float | None]:
    if prescribed is None:
        return {"occasions": None, "repetitions": None}
    return {
        "occasions": _percent(delivered.occasions, prescribed[0]),
        "repetitions": _percent(delivered.repetitions, prescribed[1]),
    }


def prescription_adherence(
    *,
    period_start: date,
    period_end: date | None,
    pauses: Sequence[Mapping[str, Any]],
    items: Sequence[ItemDose],
    deliveries: Sequence[Delivery],
    window_from: date,
    window_to: date,
) -> dict[str, Any]:
    """Delivered against prescribed dose per item and overall, over a window (rule adherence@4)."""
    if (window_from - window_to).days > 1:
        # The day before `window_from` as `window_to` is an empty window (nothing due yet).
        raise ValueError("window_to is before window_from")
    counted, paused_days = counted_days(period_start, period_end, pauses, window_from, window_to)
    active_days = len(counted)

    ids = {item.item_id for item in items}
    exercises: dict[uuid.UUID, list[uuid.UUID]] = {}
    for item in items:
        exercises.setdefault(item.exercise_id, []).append(item.item_id)
    # Only an exercise prescribed in exactly one item can take an un-itemized delivery.
    by_exercise = {exercise: found[0] for exercise, found in exercises.items() if len(found) == 1}

    totals = {item.item_id: _Tally() for item in items}
    split = {item.item_id: {source: _Tally() for source in SOURCES} for item in items}
    for delivery in deliveries:
        if delivery.source not in SOURCES:
            raise ValueError(f"delivery source must be clinic or home, not {delivery.source!r}")
        if delivery.on not in counted:
            continue
        item_id = _item_of(delivery, ids, by_exercise)
        if item_id is None:
            continue
        repetitions = entry_repetitions(delivery.sets, delivery.repetitions)
        if repetitions == 0:
            continue  # performed 0 times: nothing delivered, not an occasion either
        totals[item_id].add(repetitions)
        split[item_id][delivery.source].add(repetitions)

    rows: list[dict[str, Any]] = []
    overall_prescribed = [Fraction(0), Fraction(0)]
    overall_delivered = _Tally()
    for item in items:
        prescribed = _prescribed(item, active_days)
        delivered = totals[item.item_id]
        if prescribed is not None:
            overall_prescribed[0] += prescribed[0]
            overall_prescribed[1] += prescribed[1]
            overall_delivered.occasions += delivered.occasions
            overall_delivered.repetitions += delivered.repetitions
        rows.append(
            {
                "item_id": str(item.item_id),
                "exercise_id": str(item.exercise_id),
                "prescribed": _dose(prescribed) if prescribed is not None else None,
                "delivered": {
                    **delivered.as_dict(),
                    "by_source": {s: split[item.item_id][s].as_dict() for s in SOURCES},
                },
                "percent": _percents(delivered, prescribed),
            }
        )
    overall = (overall_prescribed[0], overall_prescribed[1])
    return {
        "rule": RULE,
        "window": {"from": window_from.isoformat(), "to": window_to.isoformat()},
        "active_days": active_days,
        "paused_days": paused_days,
        "items": rows,
        "overall": {
            "prescribed": _dose(overall),
            "delivered": overall_delivered.as_dict(),
            "percent": _percents(overall_delivered, overall),
        },
    }
