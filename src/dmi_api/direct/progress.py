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

from dmi_api.auth.principal import Principal
from dmi_api.clinical.who_windows import WHO_MILESTONES
from dmi_api.direct.bound_db import DirectDb
from dmi_api.direct.statements import RULE_COLUMNS, STATEMENT_PREFIX, audit_cte, clinic_rules
from dmi_api.models import Child
from dmi_api.schemas.insights import ProgressReport
from dmi_api.services import progress
from dmi_api.services.adherence import started_between
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


_CHILD = (
    f"{STATEMENT_PREFIX}"
    " SELECT c.birth_date, c.gestational_age_weeks, c.gestational_age_days, "
    f"{RULE_COLUMNS} FROM auth LEFT JOIN child AS c"
    " ON c.clinic_id = $2::uuid AND c.id = $7::uuid AND c.deleted_at IS NULL"
)

# $7 the child, $8-$9 the period's first and last day, $10-$11 the instants of the sessions
# that may be on its days (`adherence.started_between`), $12 the WHO milestones. Each part
# filters as the session path's query of it does.
_PRESCRIPTIONS = (
    "p.clinic_id = $2::uuid AND p.child_id = kid.id AND p.deleted_at IS NULL"
    " AND p.status <> 'draft'"
)
_SESSIONS = (
    "s.clinic_id = $2::uuid AND s.child_id = kid.id AND s.deleted_at IS NULL"
    " AND s.started_at >= $10::timestamptz AND s.started_at < $11::timestamptz"
)
_DATA = (
    f"{STATEMENT_PREFIX},"
    " kid AS (SELECT id FROM child WHERE clinic_id = $2::uuid AND id = $7::uuid"
    " AND deleted_at IS NULL AND EXISTS (SELECT FROM auth)),"
    f" {audit_cte(action='read', resource_type=RESOURCE, source='kid', resource_id='kid.id')}"
    " SELECT kid.id AS found,"
    " ARRAY(SELECT ROW(a.id, a.instrument, a.performed_on, a.scores::text) FROM assessment AS a"
    "   WHERE a.clinic_id = $2::uuid AND a.child_id = kid.id AND a.deleted_at IS NULL"
    "   AND a.status = 'final' AND a.performed_on >= $8::date AND a.performed_on <= $9::date"
    "   ORDER BY a.performed_on, a.created_at, a.id) AS assessments,"
    " ARRAY(SELECT ROW(s.id, s.type, s.attendance, s.duration_minutes, s.started_at,"
    "   s.started_at_utc_offset_minutes,"
    f"   s.exercises::text) FROM session_record AS s WHERE {_SESSIONS}"
    "   ORDER BY s.started_at, s.id) AS records,"
    " ARRAY(SELECT ROW(m.milestone, min(m.achieved_on)) FROM milestone AS m"
    "   WHERE m.clinic_id = $2::uuid AND m.child_id = kid.id AND m.deleted_at IS NULL"
    "   AND m.achieved_on IS NOT NULL AND m.milestone = ANY($12::text[])"
    "   GROUP BY m.milestone) AS achieved,"
    " ARRAY(SELECT ROW(p.id, p.child_id, p.status, p.period_start, p.period_end, p.pauses::text,"
    "   p.ended_on)"
    f"   FROM prescription AS p WHERE {_PRESCRIPTIONS}"
    "   ORDER BY p.period_start, p.id) AS prescriptions,"
    " ARRAY(SELECT ROW(i.prescription_id, i.id, i.exercise_id, i.repetitions, i.sets,"
    "   i.times_per_day, i.days_per_week)"
    "   FROM prescription_item AS i JOIN prescription AS p ON p.id = i.prescription_id"
    f"   WHERE i.clinic_id = $2::uuid AND i.removed_at IS NULL AND {_PRESCRIPTIONS}"
    "   ORDER BY i.prescription_id, i.position) AS items,"
    # The exercises the records name (their ids as the API writes them: canonical text).
    " ARRAY(SELECT ROW(e.id, e.code, e.name) FROM exercise AS e"
    "   WHERE e.clinic_id = $2::uuid AND e.id::text IN (SELECT done->>'exercise_id'"
    "   FROM session_record AS s, json_array_elements(s.exercises) AS done"
    f"   WHERE {_SESSIONS})) AS exercises"
    " FROM auth LEFT JOIN kid ON true"
)


def _json(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _data(record: Any) -> ProgressData:
    items: dict[uuid.UUID, list[ItemRow]] = {}
    for prescription_id, *dose in record["items"]:
        items.setdefault(prescription_id, []).append(_Item(*dose))
    return ProgressData(
        assessments=[
            _Assessment(id, instrument, on, _json(scores))
            for id, instrument, on, scores in record["assessments"]
        ],
        records=[
            _Session(id, kind, attendance, minutes, started, offset, orjson.loads(exercises))
            for id, kind, attendance, minutes, started, offset, exercises in record["records"]
        ],
        achieved=dict(record["achieved"]),
        prescriptions=[
            (
                _Prescription(id, child, status, start, end, orjson.loads(pauses), ended),
                items.get(id, []),
            )
            for id, child, status, start, end, pauses, ended in record["prescriptions"]
        ],
        exercises={id: _Exercise(code, name) for id, code, name in record["exercises"]},
    )


async def report(
    direct: DirectDb,
    principal: Principal,
    child_id: uuid.UUID,
    period_of: Callable[[ChildAges], progress.Period],
) -> ProgressReport:
    """The report of the clinic's live child over `period_of(child)` (which may refuse it)."""
    rows = await direct.fetch(principal, _CHILD, [child_id])
    if rows[0]["birth_date"] is None:
        raise not_found(Child)
    child, rules = ChildAges(*rows[0][:3]), clinic_rules(rows[0])
    period = period_of(child)
    args = [
        child_id,
        period.first,
        period.last,
        *started_between(period.first, period.last),
        list(WHO_MILESTONES),
    ]
    rows = await direct.fetch(principal, _DATA, args)
    if rows[0]["found"] is None:  # deleted in between
        raise not_found(Child)
    return progress.build(child_id, child, rules, period, _data(rows[0]))
