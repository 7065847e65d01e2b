"""What falls due: the next assessment of each instrument, rule `due-dates@2`
(docs/clinical-rules.md).

From a clinic-configurable schedule (defaults below) and the child's record:

- `gmfm88`: every 6 months after the last final GMFM-88 (every 3 while an intensive block runs);
  without one, a baseline from the day the child entered the clinic's care.
- `aims`: every month after the last final AIMS (without one, from care or term-equivalent age,
  whichever is later) until 18 months corrected (18.0 months of 30.4375 days, the end of the
  AIMS range in `record_warnings`) or independent walking.
- `hine`: at 3, 6, 9 and 12 months corrected: the first of those ages more than 14 days after
  the last final HINE, skipping ages more than 14 days before the child entered care; none past
  24 months corrected (the end of the HINE's range).
- `gmfcs`: re-rated at the 2nd, 4th, 6th and 12th birthdays (30 days' tolerance, the same
  skipping), for a child with a cerebral palsy diagnosis (ICD-10 G80) or a GMFCS rating; the
  birthdays of the effective age, as the GMFCS bands count them (`birthday`).
- `dmi_evaluation`: at the end of each goal period, 2 months after the last; a baseline without.

Corrected ages count from the term-equivalent date while correction applies (`ages`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dmi_api.clinical.ages import add_months
from dmi_api.clinical.record_warnings import range_days

# @2: the AIMS stops after 18.0 months of 30.4375 days (day 547), where its `outside_age_range`
# warning starts (@1: 18 calendar months, up to day 549, so an AIMS due then was warned); the
# GMFCS birthdays are those of the effective age (@1: calendar birthdays from the birth date,
# before the corrected 1st birthday, or the band's, of a preterm child); the HINE's range
# ends on day 730 of the effective age, where its warning starts (@1: 24 calendar months).
RULE = "due-dates@2"
AIMS_LAST_DAY = timedelta(days=range_days("aims")[1])
HINE_LAST_DAY = timedelta(days=range_days("hine")[1])
HINE_TOLERANCE = timedelta(days=14)
GMFCS_TOLERANCE = timedelta(days=30)
SOON = timedelta(days=14)
INSTRUMENTS = ("gmfm88", "aims", "hine", "gmfcs", "dmi_evaluation")


@dataclass(frozen=True)
class DueSchedule:
    """The clinic's schedule (defaults: the published practice the rule's docs name)."""

    gmfm88_every_months: int = 6
    gmfm88_intensive_every_months: int = 3
    aims_every_months: int = 1
    hine_at_months: tuple[int, ...] = (3, 6, 9, 12)
    gmfcs_at_birthdays: tuple[int, ...] = (2, 4, 6, 12)
    dmi_every_months: int = 2


@dataclass(frozen=True)
class ChildRecord:
    """What a child's due dates are computed from."""

    birth_date: date
    term_equivalent: date  # the birth date when correction does not apply
    in_care_since: date  # the day the child's record was created
    last: Mapping[str, date]  # each instrument's last final assessment
    walked_on: date | None  # the first `walking_alone` achievement
    intensive: bool  # an intensive block runs today
    cerebral_palsy: bool  # a G80 diagnosis or a GMFCS rating on record
    # The day the corrected age stops applying (birth + the clinic's `correct_until_months`);
    # None: no end (a child born at term, whose term-equivalent date is the birth date).
    corrected_until: date | None = None


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _item(
    instrument: str, due_on: date | None, basis: str, record: ChildRecord, today: date
) -> dict[str, Any]:
    if due_on is None:
        status = "not_applicable"
    elif due_on < today:
        status = "overdue"
    elif due_on <= today + SOON:
        status = "due"
    else:
        status = "scheduled"
    return {
        "instrument": instrument,
        "due_on": due_on,
        "status": status,
        "last_performed_on": record.last.get(instrument),
        "basis": basis,
        "rule": RULE,
    }


def _every(
    instrument: str, months: int, record: ChildRecord, today: date, start: date
) -> dict[str, Any]:
    last = record.last.get(instrument)
    if last is None:
        return _item(instrument, start, "baseline: none recorded yet", record, today)
    unit = "month" if months == 1 else "months"
    return _item(
        instrument, add_months(last, months), f"{months} {unit} after the last", record, today
    )


def _points(
    instrument: str,
    points: Sequence[tuple[str, date]],
    tolerance: timedelta,
    record: ChildRecord,
    today: date,
) -> dict[str, Any]:
    last = record.last.get(instrument)
    for label, on in points:
        done = last is not None and on - tolerance <= last
        before_care = on + tolerance < record.in_care_since
        if not done and not before_care:
            return _item(instrument, on, label, record, today)
    return _item(instrument, None, "schedule complete", record, today)


def birthday(record: ChildRecord, years: int) -> date:
    """The day the child's effective age turns `years` (the GMFCS bands' birthdays, `ages`):
    counted from the term-equivalent date while correction applies, else from the birth date;
    a corrected birthday past the end of correction is reached on the calendar one, or the day
    correction ends if that is later (the age is chronological from then on)."""
    corrected = add_months(record.term_equivalent, 12 * years)
    if record.corrected_until is None or corrected < record.corrected_until:
        return corrected
    return max(add_months(record.birth_date, 12 * years), record.corrected_until)


def last_day_aged(record: ChildRecord, days: timedelta) -> date:
    """The last day on which the child's effective age is at most `days`: counted from the
    term-equivalent date while correction applies, from the birth date after it ends."""
    corrected = record.term_equivalent + days
    if record.corrected_until is None or corrected < record.corrected_until:
        return corrected
    # Correction ends first: chronological from then on (already past `days` if the birth
    # date plus `days` is before that day).
    return max(record.birth_date + days, record.corrected_until - timedelta(days=1))


def _aims(schedule: DueSchedule, record: ChildRecord, today: date) -> dict[str, Any]:
    end = last_day_aged(record, AIMS_LAST_DAY)
    if record.walked_on is not None and record.walked_on <= today:
        return _item("aims", None, "walks independently", record, today)
    if today > end:
        return _item("aims", None, "past 18 months corrected", record, today)
    start = max(record.in_care_since, record.term_equivalent)
    found = _every("aims", schedule.aims_every_months, record, today, start)
    if found["due_on"] is not None and found["due_on"] > end:
        return _item("aims", None, "the next would be past 18 months corrected", record, today)
    return found


def due_items(schedule: DueSchedule, record: ChildRecord, today: date) -> list[dict[str, Any]]:
    """The next due date of each instrument (`INSTRUMENTS` order)."""
    gmfm_months = (
        schedule.gmfm88_intensive_every_months if record.intensive else schedule.gmfm88_every_months
    )
    # The HINE's range ends after 24.0 months of 30.4375 days (day 730), where its warning
    # starts: a HINE at 24 calendar months (day 730 or 731) falls due on that last day.
    hine_end = last_day_aged(record, HINE_LAST_DAY)
    hine = [
        (f"at {k} months corrected", min(add_months(record.term_equivalent, k), hine_end))
        for k in schedule.hine_at_months
    ]
    if today > hine_end:
        hine_item = _item("hine", None, "past 24 months corrected", record, today)
    else:
        hine_item = _points("hine", hine, HINE_TOLERANCE, record, today)
    if record.cerebral_palsy:
        birthdays = [
            (f"at the {ordinal(k)} birthday", birthday(record, k))
            for k in schedule.gmfcs_at_birthdays
        ]
        gmfcs = _points("gmfcs", birthdays, GMFCS_TOLERANCE, record, today)
    else:
        gmfcs = _item("gmfcs", None, "no cerebral palsy diagnosis or rating", record, today)
    return [
        _every("gmfm88", gmfm_months, record, today, record.in_care_since),
        _aims(schedule, record, today),
        hine_item,
        gmfcs,
        _every("dmi_evaluation", schedule.dmi_every_months, record, today, record.in_care_since),
    ]
