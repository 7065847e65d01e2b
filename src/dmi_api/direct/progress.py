"""A child's progress report from two statements instead of a dozen queries.

The first reads the child and the clinic's age rules (the period depends on the birth date, and
a bad period is refused before anything is read or audited); the second reads everything the
report is computed from, each part as an array of rows, and writes the audit event. The report
is then computed by `services.progress.build`, the session path's own code
(tests/records/test_direct_progress.py compares the two paths).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa
from sqlalchemy import ARRAY, Date, Text, Uuid, bindparam, cast, exists, func, select, true

from dmi_api.auth.principal import Principal
from dmi_api.clinical.who_windows import WHO_MILESTONES
from dmi_api.direct.bound_db import DirectDb
from dmi_api.direct.statements import (
    CLINIC,
    audit_cte,
    auth_cte,
    clinic_rules,
    compiled,
    rule_columns,
)
from dmi_api.models import (
    Assessment,
    Child,
    Exercise,
    Milestone,
    Prescription,
    PrescriptionItem,
    SessionRecord,
)
from dmi_api.queries.predicates import (
    final_between,
    live_item_of_live_prescription,
    live_row,
    of_live_child,
    owned_by,
    ran,
    runs_into,
    started_in,
    table_of,
)
from dmi_api.schemas.insights import ProgressReport
from dmi_api.services import progress
from dmi_api.services.adherence import started_between
from dmi_api.services.intensive_blocks import totals
from dmi_api.services.report_rows import ItemRow, ProgressData
from dmi_api.services.resources import not_found

RESOURCE = "progress"


class ChildAges(NamedTuple):
    """What a child's ages are computed from (`rule_values.AgeInputs`)."""

    birth_date: date
    gestational_age_weeks: int | None
    gestational_age_days: int | None


class _Assessment(NamedTuple):
    id: uuid.UUID
    instrument: str
    performed_on: date
    scores: dict[str, Any] | None
    warnings: list[dict[str, str]]


class _Session(NamedTuple):
    id: uuid.UUID
    type: str
    attendance: str
    duration_minutes: int
    started_at: datetime
    started_at_utc_offset_minutes: int | None
    exercises: list[dict[str, Any]]


class _Prescription(NamedTuple):
    id: uuid.UUID
    child_id: uuid.UUID
    status: str
    period_start: date
    period_end: date | None
    pauses: list[dict[str, Any]]
    ended_on: date | None
    setting: str
    block: dict[str, int] | None


class _Item(NamedTuple):
    id: uuid.UUID
    exercise_id: uuid.UUID
    repetitions: int | None
    sets: int | None
    times_per_day: int | None
    days_per_week: int | None


class _Exercise(NamedTuple):
    code: str
    name: str
    category: str


_T = {
    name: table_of(model)
    for name, model in (
        ("child", Child),
        ("assessment", Assessment),
        ("session", SessionRecord),
        ("milestone", Milestone),
        ("prescription", Prescription),
        ("item", PrescriptionItem),
        ("exercise", Exercise),
    )
}
_CHILD_ID = bindparam("child_id", type_=Uuid())


def _child() -> Any:
    auth, c = auth_cte(), _T["child"]
    return select(
        c.c.birth_date,
        c.c.gestational_age_weeks,
        c.c.gestational_age_days,
        cast(c.c.floortime_target, Text).label("floortime_target"),
        *rule_columns(auth),
    ).select_from(auth.outerjoin(c, live_row(c, CLINIC, _CHILD_ID)))


def _rows(*columns: Any) -> Any:
    return select(func.row(*columns))


def _inputs() -> Any:
    """Everything the report is computed from, each part as the session path's query of it
    filters: the period's days, the instants of the sessions that may be on them
    (`adherence.started_between`), the WHO milestones."""
    auth = auth_cte()
    t = _T
    kid = (
        select(t["child"].c.id)
        .where(live_row(t["child"], CLINIC, _CHILD_ID), exists(auth.select()))
        .cte("kid")
    )
    logged = audit_cte(
        kid, action="read", resource_type=RESOURCE, resource_id=kid.c.id, child_id=kid.c.id
    )
    a, s, m, p, i, e = (
        t[n] for n in ("assessment", "session", "milestone", "prescription", "item", "exercise")
    )
    a_c, s_c, m_c, p_c, i_c = a.c, s.c, m.c, p.c, i.c
    sessions = [
        of_live_child(s, CLINIC, kid.c.id),
        started_in(
            s,
            bindparam("sessions_from", type_=s_c.started_at.type),
            bindparam("sessions_to", type_=s_c.started_at.type),
        ),
    ]
    prescriptions = [of_live_child(p, CLINIC, kid.c.id), ran(p)]
    assessments = (
        _rows(
            a_c.id,
            a_c.instrument,
            a_c.performed_on,
            cast(a_c.scores, Text),
            cast(a_c.warnings, Text),
        )
        .where(
            of_live_child(a, CLINIC, kid.c.id),
            final_between(a, bindparam("first", type_=Date()), bindparam("last", type_=Date())),
        )
        .order_by(a_c.performed_on, a_c.created_at, a_c.id)
    )
    session_columns = (
        s_c.id,
        s_c.type,
        s_c.attendance,
        s_c.duration_minutes,
        s_c.started_at,
        s_c.started_at_utc_offset_minutes,
        cast(s_c.exercises, Text),
    )
    records = _rows(*session_columns).where(*sessions).order_by(s_c.started_at, s_c.id)
    # The intensive blocks that ran in the period (`intensive_blocks.is_block_in`): sessions
    # from a day before the first one's first day (UTC midnight, as
    # `adherence.earliest_start`), and every final GMFM-88.
    first_block = (
        select(func.min(p_c.period_start))
        .where(
            *prescriptions,
            p_c.setting == "intensive",
            runs_into(p, bindparam("first", type_=Date()), bindparam("last", type_=Date())),
        )
        .scalar_subquery()
    )
    block_from = func.timezone("UTC", cast(first_block, sa.DateTime())) - sa.literal_column(
        "interval '1 day'"
    )
    block_records = (
        _rows(*session_columns)
        .where(of_live_child(s, CLINIC, kid.c.id), s_c.started_at >= block_from)
        .order_by(s_c.started_at, s_c.id)
    )
    gmfm88 = _rows(a_c.id, a_c.performed_on, cast(a_c.scores, Text)).where(
        of_live_child(a, CLINIC, kid.c.id), a_c.status == "final", a_c.instrument == "gmfm88"
    )
    achieved = (
        _rows(m_c.milestone, func.min(m_c.achieved_on))
        .where(
            of_live_child(m, CLINIC, kid.c.id),
            m_c.achieved_on.is_not(None),
            m_c.milestone == func.any(bindparam("milestones", type_=ARRAY(Text()))),
        )
        .group_by(m_c.milestone)
    )
    prescription_rows = (
        _rows(
            p_c.id,
            p_c.child_id,
            p_c.status,
            p_c.period_start,
            p_c.period_end,
            cast(p_c.pauses, Text),
            p_c.ended_on,
            p_c.setting,
            cast(p_c.block, Text),
        )
        .where(*prescriptions)
        .order_by(p_c.period_start, p_c.id)
    )
    items = (
        _rows(
            i_c.prescription_id,
            i_c.id,
            i_c.exercise_id,
            i_c.repetitions,
            i_c.sets,
            i_c.times_per_day,
            i_c.days_per_week,
        )
        .where(
            live_item_of_live_prescription(i, p, CLINIC),
            p_c.child_id == kid.c.id,
            ran(p),
        )
        .order_by(i_c.prescription_id, i_c.position)
    )
    # The exercises the records name (their ids as the API writes them: canonical text).
    done = func.json_array_elements(s_c.exercises).table_valued("value").alias("done")
    named = (
        select(done.c.value.op("->>")("exercise_id"))
        .select_from(s)
        .join(done, true())
        .where(*sessions)
        .correlate(kid)
    )
    exercises = _rows(e.c.id, e.c.code, e.c.name, e.c.category).where(
        owned_by(e, CLINIC), cast(e.c.id, Text).in_(named)
    )
    parts = {
        "assessments": assessments,
        "records": records,
        "achieved": achieved,
        "prescriptions": prescription_rows,
        "items": items,
        "exercises": exercises,
        "block_records": block_records,
        "gmfm88": gmfm88,
    }
    return (
        select(
            kid.c.id.label("found"),
            *(func.array(part.scalar_subquery()).label(name) for name, part in parts.items()),
        )
        .select_from(auth.outerjoin(kid, true()))
        .add_cte(logged)
    )


def _json(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _sessions(rows: Any) -> list[_Session]:
    return [
        _Session(id, kind, attendance, minutes, started, offset, orjson.loads(exercises))
        for id, kind, attendance, minutes, started, offset, exercises in rows
    ]


def _data(record: Any, floortime_target: dict[str, int] | None) -> ProgressData:
    items: dict[uuid.UUID, list[ItemRow]] = {}
    for prescription_id, *dose in record["items"]:
        items.setdefault(prescription_id, []).append(_Item(*dose))
    return ProgressData(
        assessments=[
            _Assessment(id, instrument, on, _json(scores), _json(warnings))
            for id, instrument, on, scores, warnings in record["assessments"]
        ],
        records=_sessions(record["records"]),
        achieved=dict(record["achieved"]),
        prescriptions=[
            (
                _Prescription(
                    id,
                    child,
                    status,
                    start,
                    end,
                    orjson.loads(pauses),
                    ended,
                    setting,
                    _json(block),
                ),
                items.get(id, []),
            )
            for id, child, status, start, end, pauses, ended, setting, block in record[
                "prescriptions"
            ]
        ],
        exercises={
            id: _Exercise(code, name, category) for id, code, name, category in record["exercises"]
        },
        block_records=_sessions(record["block_records"]),
        gmfm88=totals((id, on, _json(scores)) for id, on, scores in record["gmfm88"]),
        floortime_target=floortime_target,
    )


async def report(
    direct: DirectDb,
    principal: Principal,
    child_id: uuid.UUID,
    period_of: Callable[[ChildAges, date], progress.Period],
) -> ProgressReport:
    """The report of the clinic's live child over `period_of(child, the clinic's today)`
    (which may refuse it)."""
    rows = await direct.fetch(principal, compiled("progress.child", _child), {"child_id": child_id})
    child_row = rows[0]
    if child_row["birth_date"] is None:
        raise not_found(Child)
    child, rules = ChildAges(*child_row[:3]), clinic_rules(child_row)
    period = period_of(child, rules.today())
    sessions_from, sessions_to = started_between(period.first, period.last)
    values = {
        "child_id": child_id,
        "first": period.first,
        "last": period.last,
        "sessions_from": sessions_from,
        "sessions_to": sessions_to,
        "milestones": list(WHO_MILESTONES),
    }
    rows = await direct.fetch(principal, compiled("progress.data", _inputs), values)
    if rows[0]["found"] is None:  # deleted in between
        raise not_found(Child)
    target = _json(child_row["floortime_target"])
    return progress.build(child_id, child, rules, period, _data(rows[0], target))
