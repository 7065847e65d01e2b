"""Everything computed from a child's records and ages, recomputed together when the child's
birth data or the clinic's rules change: assessment scores and warnings
(`assessment_scores`), milestone warnings (`milestones`)."""

from __future__ import annotations

import uuid

from sqlmodel import col

from dmi_api.models import Assessment, Child, Milestone
from dmi_api.queries.predicates import live
from dmi_api.rule_values import RuleSettings
from dmi_api.services import milestones
from dmi_api.services.assessment_scores import rescore_child
from dmi_api.tenant_scope import Tenant


async def recompute_child(
    tenant: Tenant, child: Child, rules: RuleSettings, *, client_id: uuid.UUID | None
) -> int:
    """Recompute the child's results; how many rows changed (each a new version)."""
    changed = await rescore_child(tenant, child, rules, client_id=client_id)
    return changed + await milestones.rewarn_child(tenant, child, rules, client_id=client_id)


async def recompute_clinic(
    tenant: Tenant, rules: RuleSettings, *, client_id: uuid.UUID | None
) -> int:
    """Recompute every child's results (after the clinic's rule settings change, or a rule's new
    version: `dmi-api assessments rescore`); how many rows changed."""
    # Every live assessment, drafts included: a draft is not scored but carries the age and
    # walking warnings, which follow the clinic's age rule too.
    scored = (
        tenant.select(Assessment)
        .with_only_columns(col(Assessment.child_id))
        .where(live(Assessment))
    )
    achieved = (
        tenant.select(Milestone)
        .with_only_columns(col(Milestone.child_id))
        .where(col(Milestone.achieved_on).is_not(None), live(Milestone))
    )
    children = tenant.select(Child).where(col(Child.id).in_(scored) | col(Child.id).in_(achieved))
    changed = 0
    for child in (await tenant.db.execute(children)).scalars().all():
        changed += await recompute_child(tenant, child, rules, client_id=client_id)
    return changed
