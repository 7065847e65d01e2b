"""The clinic's settings of the clinical rules, with the published defaults when unset."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dmi_api.clinical.ages import RULE as AGE_RULE
from dmi_api.clinical.ages import Age, AgeRule, age_days, age_on
from dmi_api.clinical.scoring import AimsNorms
from dmi_api.models import Child, ClinicSettings
from dmi_api.schemas.ages import AgePublic
from dmi_api.tenancy import Tenant


class AgeInputs(Protocol):
    """What a child's ages are computed from."""

    @property
    def birth_date(self) -> date: ...
    @property
    def gestational_age_weeks(self) -> int | None: ...
    @property
    def gestational_age_days(self) -> int | None: ...


@dataclass(frozen=True)
class RuleSettings:
    """What the clinical rules of one clinic need from its settings."""

    age_rule: AgeRule
    aims_norms: AimsNorms | None
    time_zone: str = "UTC"  # IANA name: local dates of records without a kept UTC offset
    crawling_expected: bool = False  # a crawl never observed past its window is then `late`

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone (its name was checked when stored)."""
        return _zone(self.time_zone)

    def age(self, child: AgeInputs, on: date) -> Age | None:
        """The child's ages on a date (None before birth: such a date is refused on write)."""
        if on < child.birth_date:
            return None
        return age_on(
            birth_date=child.birth_date,
            gestational_age_weeks=child.gestational_age_weeks,
            gestational_age_days=child.gestational_age_days,
            on=on,
            rule=self.age_rule,
        )


async def load_row(tenant: Tenant, *, for_update: bool = False) -> ClinicSettings:
    """The clinic's settings row; an unsaved row of defaults (version 0) when there is none."""
    statement = tenant.select(ClinicSettings)
    if for_update:
        statement = statement.with_for_update()
    row = (await tenant.db.execute(statement)).scalar_one_or_none()
    if row is None:
        row = ClinicSettings(clinic_id=tenant.clinic_id, version=0)
    return row


def rules_of(row: ClinicSettings) -> RuleSettings:
    """The rule settings a settings row describes (its norm table was checked when stored)."""
    return from_values(
        preterm_below_weeks=row.preterm_below_weeks,
        correct_until_months=row.correct_until_months,
        aims_norms=row.aims_norms,
        time_zone=row.time_zone,
        crawling_expected=row.crawling_expected,
    )


# The request's session remembers the settings read with its authorization (one round trip).
_SESSION_KEY = "dmi.rule_settings"
DEFAULTS = ClinicSettings(clinic_id=uuid.UUID(int=0), version=0)


def from_values(
    *,
    preterm_below_weeks: int | None,
    correct_until_months: int | None,
    aims_norms: dict[str, Any] | None,
    time_zone: str | None = None,
    crawling_expected: bool | None = None,
) -> RuleSettings:
    """The rule settings of a settings row's values (None: no row, the defaults)."""
    zone = DEFAULTS.time_zone if time_zone is None else time_zone
    crawling = DEFAULTS.crawling_expected if crawling_expected is None else crawling_expected
    if not aims_norms:  # immutable values: one shared object per combination
        return _without_norms(preterm_below_weeks, correct_until_months, zone, crawling)
    return RuleSettings(
        age_rule=_age_rule(preterm_below_weeks, correct_until_months),
        aims_norms=AimsNorms.from_json(aims_norms),
        time_zone=zone,
        crawling_expected=crawling,
    )


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _age_rule(preterm_below_weeks: int | None, correct_until_months: int | None) -> AgeRule:
    return AgeRule(
        preterm_below_weeks=DEFAULTS.preterm_below_weeks
        if preterm_below_weeks is None
        else preterm_below_weeks,
        correct_until_months=DEFAULTS.correct_until_months
        if correct_until_months is None
        else correct_until_months,
    )


@functools.lru_cache(maxsize=256)
def _without_norms(
    preterm_below_weeks: int | None,
    correct_until_months: int | None,
    time_zone: str,
    crawling_expected: bool,
) -> RuleSettings:
    return RuleSettings(
        age_rule=_age_rule(preterm_below_weeks, correct_until_months),
        aims_norms=None,
        time_zone=time_zone,
        crawling_expected=crawling_expected,
    )


def remember(
    db: AsyncSession,
    clinic_id: uuid.UUID,
    *,
    preterm_below_weeks: int | None,
    correct_until_months: int | None,
    aims_norms: dict[str, Any] | None,
    time_zone: str | None = None,
    crawling_expected: bool | None = None,
) -> None:
    """Keep the clinic's settings (None: the default) for the rest of the request."""
    rules = from_values(
        preterm_below_weeks=preterm_below_weeks,
        correct_until_months=correct_until_months,
        aims_norms=aims_norms,
        time_zone=time_zone,
        crawling_expected=crawling_expected,
    )
    db.info[_SESSION_KEY] = (clinic_id, rules)


def remember_row(db: AsyncSession, row: ClinicSettings) -> None:
    """Keep a settings row for the rest of the request."""
    remember(
        db,
        row.clinic_id,
        preterm_below_weeks=row.preterm_below_weeks,
        correct_until_months=row.correct_until_months,
        aims_norms=row.aims_norms,
        time_zone=row.time_zone,
        crawling_expected=row.crawling_expected,
    )


async def load(tenant: Tenant) -> RuleSettings:
    """The clinic's rule settings (read once per request)."""
    cached = tenant.db.info.get(_SESSION_KEY)
    if cached is not None and cached[0] == tenant.clinic_id:
        rules: RuleSettings = cached[1]
        return rules
    row = await load_row(tenant)
    remember_row(tenant.db, row)
    return rules_of(row)


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


async def children_by_id(tenant: Tenant, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Child]:
    """The clinic's children with these ids (tombstoned ones too), in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    statement = tenant.select(Child).where(col(Child.id).in_(wanted))
    return {child.id: child for child in (await tenant.db.execute(statement)).scalars().all()}


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
    children = await children_by_id(tenant, (row.child_id for row in rows))
    views = []
    for row in rows:
        shown = view(row)
        child = children.get(row.child_id)
        if child is not None:
            shown.age = age_public(rules, child, dated(row))
        views.append(shown)
    return views
