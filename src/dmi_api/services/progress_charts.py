"""The charts of a child's progress, for a parent and a therapist to read without hovering: the
GMFM-88 chart of the progress report and the DMI support-point chart (`clinical/*_svg.py`)."""

from __future__ import annotations

from datetime import date, timedelta

from dmi_api.clinical.progress_svg import Event, SeriesPoint, Shade, render_progress_svg
from dmi_api.clinical.support_svg import ExerciseHolds, Hold, render_support_svg
from dmi_api.clinical.svg_document import AgeLabel, Span, age_text
from dmi_api.schemas.ages import AgePublic
from dmi_api.schemas.insights import ProgressReport, SupportProgression

CORRECTED = "age, corrected for prematurity (date below)"
CHRONOLOGICAL = "age (date below)"


def ages_from(age: AgePublic | None) -> tuple[AgeLabel, str]:
    """Age labels for the dates of a chart, from the ages on its last day: corrected by the same
    number of days while correction applied on that day; the axis title says which."""
    if age is None:
        return (lambda on: on.isoformat()), "date"
    birth = age.as_of - timedelta(days=age.chronological_days)
    offset = 0 if age.corrected_days is None else age.chronological_days - age.corrected_days
    since = birth + timedelta(days=offset)  # the term-equivalent date while correction applies
    return (lambda on: age_text(since, on)), (CORRECTED if offset else CHRONOLOGICAL)


def _name(code: str) -> str:
    return code.replace("_", " ")


def _last_day(report: ProgressReport) -> date:
    return report.period_to - timedelta(days=1)


def _describe(report: ProgressReport, achieved: list[Event]) -> str:
    series = report.gmfm88_series
    if series:
        first, last = series[0], series[-1]
        parts = [
            f"GMFM-88 total from {first.total_percent:g} % on {first.performed_on.isoformat()} "
            f"to {last.total_percent:g} % on {last.performed_on.isoformat()}, "
            f"{len(series)} assessments"
        ]
    else:
        parts = ["No GMFM-88 assessments in this period"]
    goals = [p for p in series if p.goal_total_percent is not None]
    if goals:
        parts.append(f"goal total {goals[-1].goal_total_percent:g} % at the last")
    if achieved:
        named = ", ".join(f"{e.label} ({e.on.isoformat()})" for e in achieved)
        parts.append(f"milestones achieved: {named}")
    if report.intensive_blocks:
        spans = ", ".join(
            f"{b.first_day.isoformat()} to {(b.last_day or _last_day(report)).isoformat()}"
            for b in report.intensive_blocks
        )
        parts.append(f"intensive blocks: {spans}")
    return "; ".join(parts) + "."


def progress_chart(report: ProgressReport) -> str:
    """The GMFM-88 total and goal over the period, milestones named, blocks shaded, on age."""
    last_day = _last_day(report)
    achieved = sorted(
        (
            Event(on=w.achieved_on, label=_name(w.milestone))
            for w in report.milestones
            if w.achieved_on is not None and report.period_from <= w.achieved_on <= last_day
        ),
        key=lambda e: (e.on, e.label),
    )
    age_of, age_title = ages_from(report.age)
    return render_progress_svg(
        title="GMFM-88 total % and milestones",
        desc=_describe(report, achieved),
        span=Span(report.period_from, last_day, age_of, age_title),
        points=[
            SeriesPoint(p.performed_on, p.total_percent, "GMFM-88") for p in report.gmfm88_series
        ],
        goals=[
            SeriesPoint(p.performed_on, p.goal_total_percent, "goal")
            for p in report.gmfm88_series
            if p.goal_total_percent is not None
        ],
        events=achieved,
        blocks=[
            Shade(b.first_day, b.last_day or last_day, "intensive block")
            for b in report.intensive_blocks
        ],
    )


def support_chart(progression: SupportProgression, age: AgePublic | None) -> str:
    """The holds of each exercise over the period on the trunk-to-ankles scale."""
    last_day = progression.period_to - timedelta(days=1)
    exercises = [
        ExerciseHolds(e.code, e.name, [Hold(u.on, u.support_point, u.response) for u in e.uses])
        for e in progression.exercises
    ]
    ready = [e.code for e in progression.exercises if e.ready_to_progress]
    summary = [
        f"{e.code}: {e.current_support_point or 'no hold on the scale'}"
        for e in progression.exercises
    ]
    desc = (
        f"Support points from {progression.period_from.isoformat()} to {last_day.isoformat()}: "
        + ("; ".join(summary) if summary else "none recorded")
        + (f". Ready to progress: {', '.join(ready)}." if ready else ".")
    )
    age_of, age_title = ages_from(age)
    return render_support_svg(
        title="DMI support points (trunk to ankles)",
        desc=desc,
        span=Span(progression.period_from, last_day, age_of, age_title),
        exercises=exercises,
    )
