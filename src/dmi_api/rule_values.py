"""The clinic's settings of the clinical rules as values, and the request's memory of them.

Below the services: the authorization step (auth) reads them with its one round trip and the
direct path builds them from its rows; `services/rules_in_effect.py` loads and applies them.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from dmi_api.clinical.ages import Age, AgeRule, age_on
from dmi_api.clinical.scoring import AimsNorms
from dmi_api.models import ClinicSettings


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


def remembered(db: AsyncSession, clinic_id: uuid.UUID) -> RuleSettings | None:
    """The settings kept for this clinic earlier in the request, if any."""
    cached = db.info.get(_SESSION_KEY)
    if cached is not None and cached[0] == clinic_id:
        rules: RuleSettings = cached[1]
        return rules
    return None
