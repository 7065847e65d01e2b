"""Adherence of a prescription: its dose against the exercises recorded in session records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlmodel import col

from dmi_api.clinical.adherence import (
    Delivery,
    ItemDose,
    Running,
    claimed,
    prescription_adherence,
)
from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.models import Prescription, PrescriptionItem, SessionRecord
from dmi_api.queries.predicates import child_of, ran, runs_into, started_in
from dmi_api.services import prescription_items, rules_in_effect
from dmi_api.services.report_rows import ItemRow, PrescriptionRow, SessionRow, StartedRow
from dmi_api.tenant_scope import Tenant


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _shifted(day: date, days: int) -> date:
    """`day` + `days`, held at the calendar's ends."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def earliest_start(first_day: date) -> datetime:
    """The earliest instant of a record whose local date may be `first_day` or later: a day
    before, as no UTC offset exceeds one (`local_day` then decides)."""
    return _instant(_shifted(first_day, -1))


def started_between(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The instants [start, end) of every record whose local date may be in the days: a day
    more on each side (`earliest_start`)."""
    return earliest_start(first_day), _instant(_shifted(last_day, 2))


def local_day(record: StartedRow, zone: tzinfo) -> date:
    """The record's local date: in the UTC offset the client sent with `started_at` (kept since
    migration 2026-11-27; an explicit `Z` is UTC), else in the clinic's time zone `zone`."""
    started = record.started_at.astimezone(UTC)
    offset = record.started_at_utc_offset_minutes
    try:
        if offset is None:
            return started.astimezone(zone).date()
        return (started + timedelta(minutes=offset)).date()
    except OverflowError:  # only at the calendar's ends (year 1 or 9999)
        return started.date()


async def deliveries(
    tenant: Tenant, child_id: uuid.UUID, first_day: date, last_day: date
) -> list[Delivery]:
    """Every exercise of the child's attended sessions (home practice included) around the
    days (each on its local date: the rule counts those on the days only)."""
    start, end = started_between(first_day, last_day)
    statement = tenant.select(SessionRecord).where(
        child_of(SessionRecord, child_id),
        col(SessionRecord.attendance) == "attended",
        started_in(SessionRecord, start, end),
    )
    records = list((await tenant.db.execute(statement)).scalars())
    return deliveries_from(records, (await rules_in_effect.load(tenant)).zone)


def deliveries_from(records: Sequence[SessionRow], zone: tzinfo) -> list[Delivery]:
    """The exercises of attended session records as deliveries of a dose, on their local
    dates (`zone`: the clinic's time zone, for records without a kept UTC offset)."""
    found: list[Delivery] = []
    ids: dict[Any, uuid.UUID | None] = {}  # each id parsed once, however many its deliveries

    def parsed(value: Any) -> uuid.UUID | None:
        return ids[value] if value in ids else ids.setdefault(value, _uuid(value))

    for record in records:
        if record.attendance != "attended":
            continue
        source = "home" if record.type == "home_practice" else "clinic"
        on = local_day(record, zone)
        for done in record.exercises:
            exercise_id = parsed(done.get("exercise_id"))
            if exercise_id is None:
                continue
            found.append(
                Delivery(
                    on=on,
                    item_id=parsed(done.get("prescription_item_id")),
                    exercise_id=exercise_id,
                    repetitions=done.get("repetitions"),
                    sets=done.get("sets"),
                    source=source,
                )
            )
    return found


def runs_until(row: PrescriptionRow) -> date | None:
    """The last day the prescription runs: the end of its period, or the day before it was
    completed or discontinued if that is earlier (None: open-ended)."""
    ends = [row.period_end]
    if row.ended_on is not None:
        ends.append(_shifted(row.ended_on, -1))
    known = [end for end in ends if end is not None]
    return min(known) if known else None


def default_window(row: Prescription, today: date) -> tuple[date, date]:
    """The prescription's period up to today (inclusive days): empty (the day before its start
    as the last day) while the prescription has not begun, as no dose was due yet."""
    end = runs_until(row)
    last = min(end, today) if end else today
    return row.period_start, max(last, _shifted(row.period_start, -1))


def window_or_422(
    row: Prescription, today: date, first: date | None, end: date | None
) -> tuple[date, date]:
    """The inclusive days of `from` (inclusive) and `to` (exclusive), else the default window,
    never past today (`counted_up_to`)."""
    default_first, default_last = default_window(row, today)
    first_day = first or default_first
    last_day = default_last if end is None else end - timedelta(days=1)
    if end is not None and last_day < first_day:
        detail = "`to` must be after `from`."
        raise ValidationProblemError([FieldProblem("to", detail, "end_before_start", "query")])
    return first_day, counted_up_to(first_day, last_day, today)


def counted_up_to(first_day: date, last_day: date, today: date) -> date:
    """The last day adherence counts of `first_day`..`last_day`: none after today (no dose was
    due yet: counting one would lower the percent), the day before `first_day` (an empty
    window) when all of them are still ahead."""
    return max(min(last_day, today), _shifted(first_day, -1))


async def adherence_of(
    tenant: Tenant,
    row: Prescription,
    items: list[PrescriptionItem],
    first_day: date,
    last_day: date,
) -> dict[str, Any]:
    """The adherence of one prescription over inclusive days."""
    delivered = await deliveries(tenant, row.child_id, first_day, last_day)
    # The child's other prescriptions of those days decide whose an entry naming no item is.
    statement = tenant.select(Prescription).where(
        child_of(Prescription, row.child_id),
        ran(Prescription),
        runs_into(Prescription, first_day, last_day),
    )
    others = [p for p in (await tenant.db.execute(statement)).scalars() if p.id != row.id]
    loaded = await prescription_items.load(tenant, [p.id for p in others])
    running = [(row, items), *((p, loaded[p.id]) for p in others)]
    return adherence_result(row, items, first_day, last_day, claimed_by(running, delivered))


def _doses(items: Sequence[ItemRow]) -> list[ItemDose]:
    return [
        ItemDose(
            item_id=item.id,
            exercise_id=item.exercise_id,
            repetitions=item.repetitions,
            sets=item.sets,
            times_per_day=item.times_per_day,
            days_per_week=item.days_per_week,
        )
        for item in items
    ]


def claimed_by(
    prescriptions: Sequence[tuple[PrescriptionRow, Sequence[ItemRow]]], delivered: list[Delivery]
) -> list[Delivery]:
    """The deliveries, each entry naming no item given the one item of its exercise among the
    prescriptions (with their items) that count its day, or left out (`adherence.claimed`)."""
    running = [
        Running(row.period_start, runs_until(row), row.pauses, _doses(items))
        for row, items in prescriptions
    ]
    return claimed(delivered, running)


def adherence_result(
    row: PrescriptionRow,
    items: Sequence[ItemRow],
    first_day: date,
    last_day: date,
    delivered: list[Delivery],
) -> dict[str, Any]:
    """The adherence of one prescription over inclusive days, from its deliveries; its window
    written as the API's ranges are, `to` exclusive (the day after the last day counted)."""
    result = prescription_adherence(
        period_start=row.period_start,
        period_end=runs_until(row),
        pauses=row.pauses,
        items=_doses(items),
        deliveries=delivered,
        window_from=first_day,
        window_to=last_day,
    )
    window = {"from": first_day.isoformat(), "to": (last_day + timedelta(days=1)).isoformat()}
    return {"prescription_id": str(row.id), "status": row.status, **result, "window": window}
