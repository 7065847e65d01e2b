"""The clinic's rule settings in effect: loaded (values in `rule_values.py`), applied to rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from dmi_api.clinical.ages import RULE as AGE_RULE
from dmi_api.clinical.ages import age_days
from dmi_api.models import Child, ClinicSettings
from dmi_api.queries.predicates import columns
from dmi_api.rule_values import AgeInputs, RuleSettings, remember, remembered, rules_of_row
from dmi_api.schemas.ages import AgePublic
from dmi_api.tenant_scope import Tenant

# The columns of a child its ages are computed from.
AGE_INPUTS = ("birth_date", "gestational_age_weeks", "gestational_age_days")


async def load_row(tenant: Tenant, *, for_update: bool = False) -> ClinicSettings:
    """The clinic's settings row; an unsaved row of defaults (version 0) when there is none."""
    statement = tenant.select(ClinicSettings)
    if for_update:
        statement = statement.with_for_update()
    row = (await tenant.db.execute(statement)).scalar_one_or_none()
    if row is None:
        row = ClinicSettings(clinic_id=tenant.clinic_id, version=0)
    return row


def remember_row(db: AsyncSession, row: ClinicSettings) -> None:
    """Keep a settings row for the rest of the request."""
    remember(db, row.clinic_id, rules_of_row(row))


async def load(tenant: Tenant) -> RuleSettings:
    """The clinic's rule settings (read once per request)."""
    rules = remembered(tenant.db, tenant.clinic_id)
    if rules is not None:
        return rules
    row = await load_row(tenant)
    remember_row(tenant.db, row)
    return rules_of_row(row)


def age_public(rules: RuleSettings, child: AgeInputs, on: date | None) -> AgePublic | None:
    """The ages shown on a row dated `on` (None for an undated row or a date before birth)."""
    age = rules.age(child, on) if on is not None else None
    if age is None or on is None:
        return None
    return AgePublic(
        as_of=on,
        chronological_days=age.chronological_days,
        corrected_days=age.corrected_days,
        rule=age.rule,
    )


def age_plain(rules: RuleSettings, child: AgeInputs, on: date | None) -> dict[str, Any] | None:
    """`age_public` as plain data (for bodies built without validation)."""
    return age_plain_of(
        rules, child.birth_date, child.gestational_age_weeks, child.gestational_age_days, on
    )


def age_plain_of(
    rules: RuleSettings,
    birth_date: date,
    gestational_age_weeks: int | None,
    gestational_age_days: int | None,
    on: date | None,
) -> dict[str, Any] | None:
    """`age_plain` of a child's values (lists: once per row, without an object per child)."""
    if on is None or on < birth_date:
        return None
    chronological, corrected = age_days(
        birth_date, gestational_age_weeks, gestational_age_days, on, rules.age_rule
    )
    return {
        "as_of": on,
        "chronological_days": chronological,
        "corrected_days": corrected,
        "rule": AGE_RULE,
    }


async def age_inputs(tenant: Tenant, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """What the ages of the clinic's children with these ids (tombstoned ones too) are computed
    from (`age_public`'s and `age_plain`'s child), as plain rows, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    c = columns(Child)
    statement = (
        tenant.select_rows(Child)
        .with_only_columns(c.id, *(c[name] for name in AGE_INPUTS))
        .where(c.id.in_(wanted))
    )
    return {row.id: row for row in await tenant.rows(statement)}


class _Dated(Protocol):
    child_id: uuid.UUID


class _Aged(Protocol):
    age: AgePublic | None


RowT = TypeVar("RowT", bound=_Dated)
ViewT = TypeVar("ViewT", bound=_Aged)


async def views_with_ages(
    tenant: Tenant,
    rows: Sequence[RowT],
    view: Callable[[RowT], ViewT],
    dated: Callable[[RowT], date | None],
) -> list[ViewT]:
    """API views of a child's dated rows, each with the child's ages on its date (2 queries)."""
    rules = await load(tenant)
    children = await age_inputs(tenant, (row.child_id for row in rows))
    views = []
    for row in rows:
        shown = view(row)
        child = children.get(row.child_id)
        if child is not None:
            shown.age = age_public(rules, child, dated(row))
        views.append(shown)
    return views
