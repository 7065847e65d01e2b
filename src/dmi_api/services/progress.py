"""The progress report of a child over a period, and its chart."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta, tzinfo
from typing import Any

from pydantic import TypeAdapter
from sqlmodel import col

from dmi_api.clinical.adherence import Delivery, entry_repetitions
from dmi_api.clinical.dirfloortime import Practice, floortime
from dmi_api.clinical.rounding import change as rounded_change
from dmi_api.clinical.support_progression import SCALE, Use, progression
from dmi_api.models import Assessment, Child, Exercise, Prescription, SessionRecord
from dmi_api.queries.predicates import child_of, final_between, ran, started_in
from dmi_api.rule_values import AgeInputs, RuleSettings
from dmi_api.schemas.insights import (
    CategoryProgression,
    DirFloortime,
    ExerciseProgression,
    GmfmPoint,
    InstrumentProgress,
    InstrumentScore,
    ProgressReport,
    SessionTotals,
    SupportProgression,
)
from dmi_api.services import prescription_items, rules_in_effect
from dmi_api.services.adherence import (
    adherence_result,
    claimed_by,
    counted_up_to,
    deliveries_from,
    local_day,
    runs_until,
    started_between,
)
from dmi_api.services.intensive_blocks import (
    block_records,
    blocks_in,
    gmfm88_totals,
    is_block_in,
)
from dmi_api.services.milestone_windows import first_achievements, windows_of
from dmi_api.services.report_rows import (
    AssessmentRow,
    ExerciseRow,
    ItemRow,
    PrescriptionRow,
    ProgressData,
    SessionRow,
)
from dmi_api.tenant_scope import Tenant

# The score a chart shows for each instrument (instruments without scores are left out).
HEADLINE = {
    "gmfm88": "total_percent",
    "gmfm66": "gmae_score",
    "aims": "total",
    "hine": "global",
    "pdms2": "gmq",
    "pdms3": "gmq",
    "gmfcs": "level",
    "feas": "total",
    "fedc": "level",
}


@dataclass(frozen=True)
class Period:
    """Days from `first` to `last`, both included (`to` of the API is `last` + 1)."""

    first: date
    last: date


async def _final_assessments(tenant: Tenant, child: Child, period: Period) -> list[Assessment]:
    statement = (
        tenant.select(Assessment)
        .where(
            child_of(Assessment, child.id),
            final_between(Assessment, period.first, period.last),
        )
        .order_by(col(Assessment.performed_on), col(Assessment.created_at), col(Assessment.id))
    )
    return list((await tenant.db.execute(statement)).scalars().all())


def _score(row: AssessmentRow) -> InstrumentScore:
    measure = HEADLINE[row.instrument]
    value = (row.scores or {}).get(measure)
    return InstrumentScore(
        assessment_id=row.id,
        performed_on=row.performed_on,
        measure=measure,
        value=float(value) if isinstance(value, int | float) else None,
        warnings=row.warnings,
    )


def _instruments(rows: Sequence[AssessmentRow]) -> list[InstrumentProgress]:
    by_instrument: dict[str, list[AssessmentRow]] = defaultdict(list)
    for row in rows:
        if row.instrument in HEADLINE and row.scores is not None:
            by_instrument[row.instrument].append(row)
    report = []
    for instrument in sorted(by_instrument):
        series = by_instrument[instrument]
        latest = _score(series[-1])
        previous = _score(series[-2]) if len(series) > 1 else None
        change = None
        if previous is not None and latest.value is not None and previous.value is not None:
            change = rounded_change(latest.value, previous.value)
        report.append(
            InstrumentProgress(
                instrument=instrument, latest=latest, previous=previous, change=change
            )
        )
    return report


def _gmfm_series(
    rows: Sequence[AssessmentRow], child: AgeInputs, rules: RuleSettings
) -> list[GmfmPoint]:
    return [
        GmfmPoint(
            assessment_id=row.id,
            performed_on=row.performed_on,
            total_percent=row.scores["total_percent"],
            goal_total_percent=row.scores.get("goal_total_percent"),
            age=rules_in_effect.age_public(rules, child, row.performed_on),
        )
        for row in rows
        if row.instrument == "gmfm88" and row.scores is not None
    ]


async def _sessions(tenant: Tenant, child: Child, period: Period) -> list[SessionRecord]:
    start, end = started_between(period.first, period.last)
    statement = (
        tenant.select(SessionRecord)
        .where(
            child_of(SessionRecord, child.id),
            started_in(SessionRecord, start, end),
        )
        .order_by(col(SessionRecord.started_at), col(SessionRecord.id))
    )
    return list((await tenant.db.execute(statement)).scalars().all())


def _session_totals(records: Sequence[SessionRow]) -> list[SessionTotals]:
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: {"attended": 0, "cancelled": 0, "no_show": 0, "minutes": 0}
    )
    for record in records:
        totals = counts[record.type]
        totals[record.attendance] += 1
        if record.attendance == "attended":
            totals["minutes"] += record.duration_minutes
    return [SessionTotals.model_validate({"type": t, **counts[t]}) for t in sorted(counts)]


def _support_point_uses(records: Sequence[SessionRow], zone: tzinfo) -> dict[str, list[Use]]:
    """Each exercise's holds in the attended records, in their order, by the exercise's id
    (canonical text)."""
    uses: dict[str, list[Use]] = defaultdict(list)
    ids: dict[str, str] = {}  # an exercise's id made canonical once, however many its uses
    for record in records:
        if record.attendance != "attended":
            continue
        on = local_day(record, zone)
        for done in record.exercises:
            point, exercise = done.get("support_point"), done.get("exercise_id")
            # 0 repetitions or 0 sets: the exercise was skipped (no occasion, as adherence
            # counts it), so its hold was not used.
            skipped = entry_repetitions(done.get("sets"), done.get("repetitions")) == 0
            if point and exercise and not skipped:
                key = str(exercise)
                exercise_id = ids.get(key) or ids.setdefault(key, str(uuid.UUID(key)))
                uses[exercise_id].append(Use(on, record.id, point, done.get("response")))
    return uses


_PROGRESSIONS = TypeAdapter(list[ExerciseProgression])


def support_points(
    records: Sequence[SessionRow], exercises: Mapping[uuid.UUID, ExerciseRow], rules: RuleSettings
) -> list[ExerciseProgression]:
    """Each exercise's holds over the records, and its progression (`support-progression@2`)."""
    uses = _support_point_uses(records, rules.zone)
    known = sorted(
        ((exercise.code, str(id)), id, exercise)
        for id, exercise in exercises.items()
        if str(id) in uses
    )
    return _PROGRESSIONS.validate_python(
        [
            {
                "exercise_id": id,
                "code": exercise.code,
                "name": exercise.name,
                "category": exercise.category,
                "uses": [use._asdict() for use in uses[key]],
                **progression(
                    uses[key],
                    after_sessions=rules.progress_after_sessions,
                    full_percent=rules.progress_full_percent,
                ),
            }
            for (_, key), id, exercise in known
        ]
    )


def categories(progressions: Sequence[ExerciseProgression]) -> list[CategoryProgression]:
    """Per category of exercises: its most proximal and most distal current holds, and how many
    of its exercises are ready to progress."""
    by_category: dict[str, list[ExerciseProgression]] = defaultdict(list)
    for one in progressions:
        by_category[one.category].append(one)
    found = []
    for category in sorted(by_category):
        members = by_category[category]
        points = sorted(
            (one.current_support_point for one in members if one.current_support_point),
            key=SCALE.index,
        )
        found.append(
            CategoryProgression(
                category=category,
                exercises=len(members),
                most_proximal_support_point=points[0] if points else None,
                most_distal_support_point=points[-1] if points else None,
                ready_to_progress=sum(one.ready_to_progress for one in members),
            )
        )
    return found


def _dirfloortime(
    data: ProgressData, records: Sequence[SessionRow], zone: tzinfo, period: Period, today: date
) -> DirFloortime:
    fedc = [
        {"assessment_id": a.id, "performed_on": a.performed_on, **a.scores}
        for a in data.assessments
        if a.instrument == "fedc" and a.scores and a.scores.get("level") is not None
    ]
    practices = [
        Practice(local_day(r, zone), r.type, r.attendance, r.duration_minutes, bool(r.exercises))
        for r in records
    ]
    # The days to come were not due yet: the weeks stop at today (a period may be asked past it).
    last = max(min(period.last, today), period.first - timedelta(days=1))
    found = floortime(practices, data.floortime_target, period.first, last)
    return DirFloortime.model_validate({"fedc_levels": fedc, **found})


async def _exercises(tenant: Tenant, records: Sequence[SessionRow]) -> dict[uuid.UUID, ExerciseRow]:
    used = [uuid.UUID(id) for id in _support_point_uses(records, UTC)]  # whatever the day
    if not used:
        return {}
    statement = tenant.select(Exercise).where(col(Exercise.id).in_(used))
    return {row.id: row for row in (await tenant.db.execute(statement)).scalars()}


async def _prescriptions(
    tenant: Tenant, child: Child
) -> list[tuple[PrescriptionRow, Sequence[ItemRow]]]:
    statement = (
        tenant.select(Prescription)
        .where(
            child_of(Prescription, child.id),
            ran(Prescription),
        )
        .order_by(col(Prescription.period_start), col(Prescription.id))
    )
    prescriptions = list((await tenant.db.execute(statement)).scalars().all())
    items = await prescription_items.load(tenant, [row.id for row in prescriptions])
    return [(row, items[row.id]) for row in prescriptions]


def _adherence(
    prescriptions: Sequence[tuple[PrescriptionRow, Sequence[ItemRow]]],
    period: Period,
    delivered: list[Delivery],
    today: date,
) -> list[dict[str, Any]]:
    report = []
    for row, items in prescriptions:
        first = max(period.first, row.period_start)
        end = runs_until(row)
        last = min(period.last, end) if end else period.last
        if last < first:
            continue
        # Days after today were not due yet (a period may be asked past today).
        last = counted_up_to(first, last, today)
        report.append(adherence_result(row, items, first, last, delivered))
    return report


async def load(tenant: Tenant, child: Child, period: Period) -> ProgressData:
    """What the report is computed from, through the session (a handful of queries)."""
    records = await _sessions(tenant, child, period)
    prescriptions = await _prescriptions(tenant, child)
    # The sessions of the blocks that ran in the period, from the first one's first day.
    starts = [
        row.period_start for row, _ in prescriptions if is_block_in(row, period.first, period.last)
    ]
    return ProgressData(
        assessments=await _final_assessments(tenant, child, period),
        records=records,
        achieved=await first_achievements(tenant, child.id),
        prescriptions=prescriptions,
        exercises=await _exercises(tenant, records),
        block_records=await block_records(tenant, child.id, min(starts)) if starts else [],
        gmfm88=await gmfm88_totals(tenant, child.id),
        floortime_target=child.floortime_target,
    )


def build(
    child_id: uuid.UUID,
    child: AgeInputs,
    rules: RuleSettings,
    period: Period,
    data: ProgressData,
) -> ProgressReport:
    """The progress report of a child over a period, from its rows (no query)."""
    zone = rules.zone
    today = rules.today()
    # Ages and WHO windows are judged on the period's last day, or today when the last day is
    # ahead: a window that closes between today and that day is no delay yet.
    as_of = min(period.last, today)
    records = [r for r in data.records if period.first <= local_day(r, zone) <= period.last]
    delivered = claimed_by(data.prescriptions, deliveries_from(records, zone))
    progressions = support_points(records, data.exercises, rules)
    return ProgressReport(
        child_id=child_id,
        period_from=period.first,
        period_to=period.last + timedelta(days=1),
        age=rules_in_effect.age_public(rules, child, as_of),
        instruments=_instruments(data.assessments),
        gmfm88_series=_gmfm_series(data.assessments, child, rules),
        milestones=windows_of(child, rules, data.achieved, as_of),
        adherence=_adherence(data.prescriptions, period, delivered, today),
        sessions=_session_totals(records),
        support_points=progressions,
        support_point_categories=categories(progressions),
        dirfloortime=_dirfloortime(data, records, zone, period, today),
        intensive_blocks=blocks_in(
            [row for row, _ in data.prescriptions],
            data.block_records,
            data.gmfm88,
            rules,
            period.first,
            period.last,
        ),
    )


async def support_progression(
    tenant: Tenant, child: Child, rules: RuleSettings, period: Period
) -> SupportProgression:
    """The child's support-point progression over a period (its sessions, on their local
    dates), per exercise and per category."""
    zone = rules.zone
    records = [
        record
        for record in await _sessions(tenant, child, period)
        if period.first <= local_day(record, zone) <= period.last
    ]
    progressions = support_points(records, await _exercises(tenant, records), rules)
    return SupportProgression(
        child_id=child.id,
        period_from=period.first,
        period_to=period.last + timedelta(days=1),
        exercises=progressions,
        categories=categories(progressions),
    )


async def report(
    tenant: Tenant, child: Child, rules: RuleSettings, period: Period
) -> ProgressReport:
    """The progress report of a child over a period, through the session."""
    return build(child.id, child, rules, period, await load(tenant, child, period))
