"""Milestones: dated observations of a child's gross-motor milestones."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlmodel import col

from dmi_api.clinical.record_warnings import milestone_warnings
from dmi_api.clinical.who_windows import WALKING_ALONE
from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.models import Child, Milestone
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import MILESTONES
from dmi_api.queries.predicates import child_of
from dmi_api.rule_values import RuleSettings
from dmi_api.schemas.milestones import (
    REQUIRED,
    MilestoneCreate,
    MilestonePatch,
    MilestonePublic,
)
from dmi_api.services import rules_in_effect
from dmi_api.services.assessment_scores import rescore_child
from dmi_api.services.history import record_change
from dmi_api.services.resources import (
    ListQuery,
    Versioned,
    any_live,
    apply_patch,
    find_reference,
    list_page,
    lock_child,
    snapshot_of,
    soft_delete,
    touch,
)
from dmi_api.tenant_scope import Tenant

RESOURCE = "milestone"


def to_public(row: Milestone) -> MilestonePublic:
    """The API view of a row, without ages."""
    return MilestonePublic.model_validate(row, from_attributes=True)


VERSIONED = Versioned(
    RESOURCE, Milestone, snapshot_of(to_public, exclude={"age"}), REQUIRED, of_child=True
)
get = VERSIONED.get


def warnings_of(row: Milestone, child: Child, rules: RuleSettings) -> list[dict[str, str]]:
    """The warnings of one observation; none for a tombstone or without an achievement."""
    if row.deleted_at is not None or row.achieved_on is None:
        return []
    return milestone_warnings(rules.age(child, row.achieved_on))


async def rewarn_child(
    tenant: Tenant, child: Child, rules: RuleSettings, *, client_id: uuid.UUID | None
) -> int:
    """Recompute the warnings of the child's achievements (new birth data or rules); how many
    rows changed, each a new version."""
    await lock_child(tenant, child.id)
    statement = tenant.select(Milestone).where(
        child_of(Milestone, child.id), col(Milestone.achieved_on).is_not(None)
    )
    fresh = statement.execution_options(populate_existing=True)
    changed = 0
    for row in (await tenant.db.execute(fresh)).scalars().all():
        warnings = warnings_of(row, child, rules)
        if warnings != row.warnings:
            row.warnings = warnings
            touch(row)
            # An operator's recomputation has no client: `Versioned.written` wants one.
            await record_change(tenant, RESOURCE, row, VERSIONED.snapshot(row), client_id)
            changed += 1
    return changed


async def _written(
    tenant: Tenant, row: Milestone, child: Child, client_id: uuid.UUID, *, walking: bool
) -> Milestone:
    # The row's own warnings go into its version; a walking milestone's date (or its end)
    # changes the child's AIMS warnings.
    rules = await rules_in_effect.load(tenant)
    row.warnings = warnings_of(row, child, rules)
    written = await VERSIONED.written(tenant, row, client_id)
    if walking or row.milestone == WALKING_ALONE:
        await rescore_child(tenant, child, rules, client_id=client_id)
    return written


async def delete(tenant: Tenant, *, row: Milestone, client_id: uuid.UUID) -> None:
    """Tombstone an observation, keeping that version."""
    child = await tenant.get(Child, row.child_id)
    assert child is not None, "a milestone always belongs to a child of its clinic"
    soft_delete(row)
    await _written(tenant, row, child, client_id, walking=False)


async def public_views(tenant: Tenant, rows: list[Milestone]) -> list[MilestonePublic]:
    """The API views of rows, each with the child's ages on its date (one query per page)."""
    return await rules_in_effect.views_with_ages(
        tenant, rows, to_public, lambda row: row.achieved_on or row.observed_on
    )


async def public_view(tenant: Tenant, row: Milestone) -> MilestonePublic:
    """The API view of one row, with the child's ages on its date."""
    return (await public_views(tenant, [row]))[0]


def _check_dates(birth_date: date, achieved_on: date | None, observed_on: date | None) -> None:
    errors = [
        FieldProblem(
            f"#/{field}", "The date is before the child's birth date.", "date_before_birth"
        )
        for field, value in (("achieved_on", achieved_on), ("observed_on", observed_on))
        if value is not None and value < birth_date
    ]
    if achieved_on is not None and observed_on is not None and observed_on < achieved_on:
        # An observation cannot report an achievement that happens after it.
        errors.append(
            FieldProblem(
                "#/observed_on", "The observation is before the achievement.", "before_start"
            )
        )
    if errors:
        raise ValidationProblemError(errors)


async def create(tenant: Tenant, *, payload: MilestoneCreate, client_id: uuid.UUID) -> Milestone:
    """Record an observation of a live child of the clinic (else 422 at `#/child_id`)."""
    await lock_child(tenant, payload.child_id)  # its birth date stays as checked until the commit
    child = await find_reference(tenant, Child, payload.child_id, pointer="#/child_id")
    assert child is not None
    _check_dates(child.birth_date, payload.achieved_on, payload.observed_on)
    row = tenant.add(Milestone(**payload.model_dump(), clinic_id=tenant.clinic_id))
    return await _written(tenant, row, child, client_id, walking=False)


async def update(
    tenant: Tenant, *, row: Milestone, patch: MilestonePatch, client_id: uuid.UUID
) -> Milestone:
    """Apply a PATCH (the caller checked If-Match); dates are checked against the birth date."""
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    child = await tenant.get(Child, row.child_id)
    assert child is not None, "a milestone always belongs to a child of its clinic"
    _check_dates(
        child.birth_date,
        changes.get("achieved_on", row.achieved_on),
        changes.get("observed_on", row.observed_on),
    )
    walking = row.milestone == WALKING_ALONE
    apply_patch(row, changes, required=VERSIONED.required)
    touch(row)
    return await _written(tenant, row, child, client_id, walking=walking)


async def dated_before(tenant: Tenant, child_id: uuid.UUID, day: date) -> bool:
    """Whether a live observation of the child is dated before `day` (a new birth date)."""
    before = or_(col(Milestone.achieved_on) < day, col(Milestone.observed_on) < day)
    return await any_live(tenant, Milestone, col(Milestone.child_id) == child_id, before)


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Milestone], str | None]:
    """A page of rows (`filters`: `queries.lists.MILESTONES`'s values)."""
    return await list_page(tenant, Milestone, MILESTONES, filters, query=query, codec=codec)
