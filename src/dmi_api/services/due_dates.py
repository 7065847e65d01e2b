"""What falls due (`clinical/due_dates.py`): a child's next assessments, the clinic's worklist,
and the `assessment.due` events (`due_notices`). Each list reads its children's records in a
fixed number of queries."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col

from dmi_api.clinical.ages import correction_ends, days_to_term
from dmi_api.clinical.due_dates import INSTRUMENTS, ChildRecord, DueSchedule, due_items
from dmi_api.clinical.who_windows import WALKING_ALONE
from dmi_api.models import Assessment, Child, ClinicSettings, Milestone, Prescription
from dmi_api.queries.predicates import live
from dmi_api.rule_values import RuleSettings
from dmi_api.schemas.clinic_settings import DueScheduleSettings
from dmi_api.services import rules_in_effect
from dmi_api.services.adherence import runs_until
from dmi_api.tenant_scope import Tenant

CEREBRAL_PALSY = "G80"  # ICD-10: cerebral palsy (G80.0-G80.9)


def schedule_of(row: ClinicSettings) -> DueSchedule:
    """The clinic's due schedule (the defaults where it set none)."""
    chosen = DueScheduleSettings.model_validate(row.due_schedule or {})
    values = chosen.model_dump()
    values["hine_at_months"] = tuple(values["hine_at_months"])
    values["gmfcs_at_birthdays"] = tuple(values["gmfcs_at_birthdays"])
    return DueSchedule(**values)


def _correction(child: Child, rules: RuleSettings) -> tuple[date, date | None]:
    """The date corrected ages count from (the birth date unless correction applies), and the
    day correction stops (None: it never applies)."""
    early = days_to_term(child.gestational_age_weeks, child.gestational_age_days, rules.age_rule)
    if early is None:
        return child.birth_date, None
    ends = correction_ends(child.birth_date, rules.age_rule)
    return child.birth_date + timedelta(days=early), ends


async def _last_finals(tenant: Tenant, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, date]]:
    a = col(Assessment.child_id), col(Assessment.instrument)
    statement = (
        tenant.select_rows(Assessment)
        .with_only_columns(*a, func.max(col(Assessment.performed_on)))
        .where(
            a[0].in_(ids),
            a[1].in_(INSTRUMENTS),
            col(Assessment.status) == "final",
            live(Assessment),
        )
        .group_by(*a)
    )
    found: dict[uuid.UUID, dict[str, date]] = defaultdict(dict)
    for child_id, instrument, last in (await tenant.db.execute(statement)).all():
        found[child_id][instrument] = last
    return found


async def _walked(tenant: Tenant, ids: list[uuid.UUID]) -> dict[uuid.UUID, date]:
    child = col(Milestone.child_id)
    statement = (
        tenant.select_rows(Milestone)
        .with_only_columns(child, func.min(col(Milestone.achieved_on)))
        .where(child.in_(ids), col(Milestone.milestone) == WALKING_ALONE, live(Milestone))
        .group_by(child)
    )
    rows = (await tenant.db.execute(statement)).all()
    return {child_id: on for child_id, on in rows if on is not None}


async def _in_intensive(tenant: Tenant, ids: list[uuid.UUID], today: date) -> set[uuid.UUID]:
    statement = tenant.select(Prescription).where(
        col(Prescription.child_id).in_(ids),
        col(Prescription.setting) == "intensive",
        col(Prescription.status) == "active",
        col(Prescription.period_start) <= today,
        live(Prescription),
    )
    rows = (await tenant.db.execute(statement)).scalars().all()
    return {row.child_id for row in rows if (runs_until(row) or today) >= today}


async def records_of(
    tenant: Tenant, children: Sequence[Child], rules: RuleSettings, today: date
) -> dict[uuid.UUID, ChildRecord]:
    """The due-date inputs of each child (four queries, whatever the number of children)."""
    ids = [child.id for child in children]
    last = await _last_finals(tenant, ids)
    walked = await _walked(tenant, ids)
    intensive = await _in_intensive(tenant, ids, today)
    found = {}
    for child in children:
        codes = [str(d.get("code", "")) for d in child.diagnoses]
        term_equivalent, corrected_until = _correction(child, rules)
        found[child.id] = ChildRecord(
            birth_date=child.birth_date,
            term_equivalent=term_equivalent,
            in_care_since=child.created_at.astimezone(rules.zone).date(),
            last=last.get(child.id, {}),
            walked_on=walked.get(child.id),
            intensive=child.id in intensive,
            cerebral_palsy=any(code.startswith(CEREBRAL_PALSY) for code in codes)
            or "gmfcs" in last.get(child.id, {}),
            corrected_until=corrected_until,
        )
    return found


async def child_due(tenant: Tenant, child: Child) -> tuple[date, list[dict[str, Any]]]:
    """Today (the clinic's date) and the next due date of each instrument for one child."""
    rules = await rules_in_effect.load(tenant)
    schedule = schedule_of(await rules_in_effect.load_row(tenant))
    today = datetime.now(rules.zone).date()
    record = (await records_of(tenant, [child], rules, today))[child.id]
    return today, due_items(schedule, record, today)


async def clinic_due(tenant: Tenant, before: date) -> tuple[date, list[dict[str, Any]]]:
    """Today and every instrument of the clinic's active children due before `before`, by due
    date (then child and instrument)."""
    rules = await rules_in_effect.load(tenant)
    schedule = schedule_of(await rules_in_effect.load_row(tenant))
    today = datetime.now(rules.zone).date()
    statement = tenant.select(Child).where(live(Child), col(Child.status) == "active")
    children = list((await tenant.db.execute(statement)).scalars().all())
    records = await records_of(tenant, children, rules, today)
    found = [
        {"child_id": child_id, **item}
        for child_id, record in records.items()
        for item in due_items(schedule, record, today)
        if item["due_on"] is not None and item["due_on"] < before
    ]
    found.sort(key=lambda item: (item["due_on"], str(item["child_id"]), item["instrument"]))
    return today, found
