"""The progress report of a child over a period, and its chart."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import col

from dmi_api.clinical.adherence import Delivery
from dmi_api.clinical.progress_svg import Event, SeriesPoint, render_progress_svg
from dmi_api.models import Assessment, Child, Exercise, Prescription, SessionRecord
from dmi_api.schemas.insights import (
    ExerciseProgression,
    GmfmPoint,
    InstrumentProgress,
    InstrumentScore,
    ProgressReport,
    SessionTotals,
    SupportPointUse,
)
from dmi_api.services import prescription_items, rule_settings
from dmi_api.services.adherence import adherence_of, deliveries_from
from dmi_api.services.milestone_windows import first_achievements, windows_of
from dmi_api.services.rule_settings import RuleSettings
from dmi_api.tenancy import Tenant

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
            col(Assessment.child_id) == child.id,
            col(Assessment.deleted_at).is_(None),
            col(Assessment.status) == "final",
            col(Assessment.performed_on) >= period.first,
            col(Assessment.performed_on) <= period.last,
        )
        .order_by(col(Assessment.performed_on), col(Assessment.created_at), col(Assessment.id))
    )
    return list((await tenant.db.execute(statement)).scalars().all())


def _score(row: Assessment) -> InstrumentScore:
    measure = HEADLINE[row.instrument]
    value = (row.scores or {}).get(measure)
    return InstrumentScore(
        assessment_id=row.id,
        performed_on=row.performed_on,
        measure=measure,
        value=float(value) if isinstance(value, int | float) else None,
    )


def _instruments(rows: list[Assessment]) -> list[InstrumentProgress]:
    by_instrument: dict[str, list[Assessment]] = defaultdict(list)
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
            change = round(latest.value - previous.value, 2)
        report.append(
            InstrumentProgress(
                instrument=instrument, latest=latest, previous=previous, change=change
            )
        )
    return report


def _gmfm_series(rows: list[Assessment], child: Child, rules: RuleSettings) -> list[GmfmPoint]:
    return [
        GmfmPoint(
            assessment_id=row.id,
            performed_on=row.performed_on,
            total_percent=row.scores["total_percent"],
            goal_total_percent=row.scores.get("goal_total_percent"),
            age=rule_settings.age_public(rules, child, row.performed_on),
        )
        for row in rows
        if row.instrument == "gmfm88" and row.scores is not None
    ]


async def _sessions(tenant: Tenant, child: Child, period: Period) -> list[SessionRecord]:
    statement = (
        tenant.select(SessionRecord)
        .where(
            col(SessionRecord.child_id) == child.id,
            col(SessionRecord.deleted_at).is_(None),
            col(SessionRecord.started_at) >= _utc_start(period.first),
            col(SessionRecord.started_at) < _utc_start(period.last + timedelta(days=1)),
        )
        .order_by(col(SessionRecord.started_at), col(SessionRecord.id))
    )
    return list((await tenant.db.execute(statement)).scalars().all())


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _session_totals(records: list[SessionRecord]) -> list[SessionTotals]:
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: {"attended": 0, "cancelled": 0, "no_show": 0, "minutes": 0}
    )
    for record in records:
        totals = counts[record.type]
        totals[record.attendance] += 1
        if record.attendance == "attended":
            totals["minutes"] += record.duration_minutes
    return [SessionTotals.model_validate({"type": t, **counts[t]}) for t in sorted(counts)]


async def _support_points(
    tenant: Tenant, records: list[SessionRecord]
) -> list[ExerciseProgression]:
    uses: dict[uuid.UUID, list[SupportPointUse]] = defaultdict(list)
    for record in records:
        if record.attendance != "attended":
            continue
        for done in record.exercises:
            if done.get("support_point") and done.get("exercise_id"):
                uses[uuid.UUID(str(done["exercise_id"]))].append(
                    SupportPointUse(
                        on=record.started_at.astimezone(UTC).date(),
                        session_record_id=record.id,
                        support_point=done["support_point"],
                        response=done.get("response"),
                    )
                )
    if not uses:
        return []
    statement = tenant.select(Exercise).where(col(Exercise.id).in_(list(uses)))
    exercises = {row.id: row for row in (await tenant.db.execute(statement)).scalars()}
    return [
        ExerciseProgression(
            exercise_id=exercise_id,
            code=exercises[exercise_id].code,
            name=exercises[exercise_id].name,
            uses=uses[exercise_id],
        )
        for exercise_id in sorted(uses, key=lambda e: (exercises[e].code, str(e)))
        if exercise_id in exercises
    ]


async def _adherence(
    tenant: Tenant, child: Child, period: Period, delivered: list[Delivery]
) -> list[dict[str, Any]]:
    statement = (
        tenant.select(Prescription)
        .where(
            col(Prescription.child_id) == child.id,
            col(Prescription.deleted_at).is_(None),
            col(Prescription.status).in_(("active", "paused")),
        )
        .order_by(col(Prescription.period_start), col(Prescription.id))
    )
    prescriptions = list((await tenant.db.execute(statement)).scalars().all())
    items = await prescription_items.load(tenant, [row.id for row in prescriptions])
    report = []
    for row in prescriptions:
        first = max(period.first, row.period_start)
        last = min(period.last, row.period_end) if row.period_end else period.last
        if last < first:
            continue
        report.append(
            await adherence_of(tenant, row, items[row.id], first, last, delivered=delivered)
        )
    return report


async def report(
    tenant: Tenant, child: Child, rules: RuleSettings, period: Period
) -> ProgressReport:
    """The progress report of a child over a period (a handful of queries, none per row)."""
    assessments = await _final_assessments(tenant, child, period)
    records = await _sessions(tenant, child, period)
    delivered = deliveries_from(records)
    achieved = await first_achievements(tenant, child.id)
    return ProgressReport(
        child_id=child.id,
        period_from=period.first,
        period_to=period.last + timedelta(days=1),
        age=rule_settings.age_public(rules, child, period.last),
        instruments=_instruments(assessments),
        gmfm88_series=_gmfm_series(assessments, child, rules),
        milestones=windows_of(child, rules, achieved, period.last),
        adherence=await _adherence(tenant, child, period, delivered),
        sessions=_session_totals(records),
        support_points=await _support_points(tenant, records),
    )


def chart(report: ProgressReport) -> str:
    """The GMFM-88 total over the period with WHO milestones achieved marked, as SVG."""
    return render_progress_svg(
        title="GMFM-88 total % and WHO milestones",
        points=[
            SeriesPoint(
                on=point.performed_on,
                value=point.total_percent,
                label=f"GMFM-88 {point.total_percent:.2f} %",
            )
            for point in report.gmfm88_series
        ],
        events=[
            Event(on=window.achieved_on, label=window.milestone)
            for window in report.milestones
            if window.achieved_on is not None
            and report.period_from <= window.achieved_on < report.period_to
        ],
        date_from=report.period_from,
        date_to=report.period_to - timedelta(days=1),
    )
