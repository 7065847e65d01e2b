"""Scores of final assessments, kept current when anything they depend on changes.

A score depends on the assessment (items, entered values, goals, date), on the child (birth date
and gestational age, through the ages), on the clinic's rule settings and, for the GMFM-88 change,
on the child's previous final GMFM-88. Whenever one of those changes, the child's scores are
computed again; a row whose scores change gets a new version like any other change.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import col

from dmi_api.clinical.record_warnings import assessment_warnings, coverage_warning
from dmi_api.clinical.rounding import change
from dmi_api.clinical.scoring import score_assessment
from dmi_api.clinical.who_windows import WALKING_ALONE
from dmi_api.models import Assessment, Child
from dmi_api.queries.predicates import child_of
from dmi_api.rule_values import RuleSettings
from dmi_api.schemas.assessments import AssessmentPublic
from dmi_api.services.history import record_change
from dmi_api.services.milestone_windows import first_achievements
from dmi_api.services.resources import lock_child, touch
from dmi_api.tenant_scope import Tenant

RESOURCE = "assessment"


def snapshot(row: Assessment) -> dict[str, Any]:
    """The version kept in the history (ages are derived on read, not kept)."""
    public = AssessmentPublic.model_validate(row, from_attributes=True)
    data: dict[str, Any] = public.model_dump(mode="json", exclude={"age"})
    return data


async def keep_version(tenant: Tenant, row: Assessment, client_id: uuid.UUID | None) -> None:
    """Record the row's current version in its history."""
    await record_change(tenant, RESOURCE, row, snapshot(row), client_id)


def _change(current: dict[str, Any], previous: Assessment | None) -> dict[str, Any] | None:
    if previous is None or previous.scores is None:
        return None
    before = previous.scores

    def delta(name: str) -> float | None:
        now, then = current.get(name), before.get(name)
        return None if now is None or then is None else change(now, then)

    # A goal total is the mean of its goal dimensions: with other goals marked before, the two
    # means are of different dimensions and their difference measures no change.
    same_goals = current.get("goal_dimensions") == before.get("goal_dimensions")
    return {
        "previous_assessment_id": str(previous.id),
        "previous_performed_on": previous.performed_on.isoformat(),
        "total_percent": delta("total_percent"),
        "goal_total_percent": delta("goal_total_percent") if same_goals else None,
    }


def compute(row: Assessment, child: Child, rules: RuleSettings) -> dict[str, Any] | None:
    """The scores of one assessment on its own (no GMFM-88 change); None unless final."""
    if row.status != "final" or row.deleted_at is not None:
        return None
    return score_assessment(
        instrument=row.instrument,
        items=row.items,
        entered=row.entered,
        goal_dimensions=row.goal_dimensions,
        age=rules.age(child, row.performed_on),
        aims_norms=rules.aims_norms,
    )


def warnings_of(
    row: Assessment, child: Child, rules: RuleSettings, walked_on: date | None
) -> list[dict[str, str]]:
    """The warnings of one assessment on its own (no change to compare); none for a tombstone."""
    if row.deleted_at is not None:
        return []
    return assessment_warnings(
        instrument=row.instrument,
        final=row.status == "final",
        items=row.items,
        age=rules.age(child, row.performed_on),
        walked_on=walked_on,
        performed_on=row.performed_on,
    )


async def rescore_child(
    tenant: Tenant,
    child: Child,
    rules: RuleSettings,
    *,
    client_id: uuid.UUID | None,
    current: Assessment | None = None,
) -> int:
    """Recompute the scores of the child's assessments; how many other rows changed.

    `current` is the row the request is writing: it gets its scores without another version
    (its own write made one); every other row whose scores change is versioned here (without a
    `client_id`: by an operator's command).
    """
    await lock_child(tenant, child.id)  # the rows as they are now, and no other rescoring
    statement = (
        tenant.select(Assessment)
        .where(child_of(Assessment, child.id))
        .order_by(col(Assessment.performed_on), col(Assessment.created_at), col(Assessment.id))
        .execution_options(populate_existing=True)
    )
    rows = list((await tenant.db.execute(statement)).scalars().all())
    walked_on = None
    if any(row.instrument == "aims" for row in [*rows, *([current] if current else [])]):
        walked_on = (await first_achievements(tenant, child.id)).get(WALKING_ALONE)
    if current is not None and current not in rows:
        current.scores = compute(current, child, rules)
        current.warnings = warnings_of(current, child, rules, walked_on)
    previous_gmfm: Assessment | None = None
    changed = 0
    for row in rows:
        scores = compute(row, child, rules)
        warnings = warnings_of(row, child, rules, walked_on)
        if scores is not None and row.instrument == "gmfm88":
            scores["change"] = _change(scores, previous_gmfm)
            if previous_gmfm is not None:
                differs = coverage_warning(row.items, previous_gmfm.items)
                warnings += [differs] if differs else []
            previous_gmfm = row
        if scores == row.scores and warnings == row.warnings:
            continue
        row.scores, row.warnings = scores, warnings
        if row is not current:
            touch(row)
            await keep_version(tenant, row, client_id)
            changed += 1
    await tenant.db.flush()
    return changed
