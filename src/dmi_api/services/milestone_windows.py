"""A child's WHO milestone windows from its milestone observations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import col

from dmi_api.clinical.ages import Age
from dmi_api.clinical.record_warnings import milestone_warnings
from dmi_api.clinical.who_windows import WHO_MILESTONES, milestone_windows
from dmi_api.models import Milestone
from dmi_api.queries.predicates import child_of
from dmi_api.rule_values import AgeInputs, RuleSettings
from dmi_api.schemas.insights import MilestoneWindow
from dmi_api.tenant_scope import Tenant


async def first_achievements(tenant: Tenant, child_id: object) -> dict[str, date]:
    """The earliest `achieved_on` of each WHO milestone among the child's live observations."""
    statement = tenant.select(Milestone).where(
        child_of(Milestone, child_id),
        col(Milestone.achieved_on).is_not(None),
        col(Milestone.milestone).in_(WHO_MILESTONES),
    )
    first: dict[str, date] = {}
    for row in (await tenant.db.execute(statement)).scalars():
        assert row.achieved_on is not None
        if row.milestone not in first or row.achieved_on < first[row.milestone]:
            first[row.milestone] = row.achieved_on
    return first


def windows_of(
    child: AgeInputs, rules: RuleSettings, achieved: Mapping[str, date], as_of: date
) -> list[MilestoneWindow]:
    """The six windows on `as_of`; achievements after `as_of` are not known yet on that day."""
    age_now = rules.age(child, as_of)
    assert age_now is not None, "callers refuse a date before birth"
    ages: dict[str, tuple[date, Age]] = {}
    for milestone, on in achieved.items():
        age = rules.age(child, on)
        if age is not None and on <= as_of:
            ages[milestone] = (on, age)
    windows = milestone_windows(
        age_now=age_now, ages_achieved=ages, crawling_expected=rules.crawling_expected
    )
    return [
        MilestoneWindow.model_validate(
            {
                **window,
                "warnings": milestone_warnings(ages[window["milestone"]][1])
                if window["milestone"] in ages
                else [],
            }
        )
        for window in windows
    ]
