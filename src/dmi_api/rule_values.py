"""The clinic's settings of the clinical rules as values, and the request's memory of them.

Below the services: the authorization step (auth) reads them with its one round trip and the
direct path builds them from its rows; `services/rules_in_effect.py` loads and applies them.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NotRequired, Protocol, TypedDict, Unpack, cast
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
    # DMI support-point progression: ready after this many sessions with this % full responses.
    progress_after_sessions: int = 3
    progress_full_percent: int = 80
    # Intensive blocks: a GMFM-88 this many weeks after a block's end still measures it.
    block_followup_weeks: int = 4

    @property
    def zone(self) -> ZoneInfo:
        """The clinic's time zone (its name was checked when stored)."""
        return _zone(self.time_zone)

    def today(self) -> date:
        """The clinic's date now (in its time zone): the day a change without a date takes
        effect, and the last day of a default window."""
        return datetime.now(self.zone).date()

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


class SettingsValues(TypedDict):
    """A settings row's values; None (or absent) is the default."""

    preterm_below_weeks: int | None
    correct_until_months: int | None
    aims_norms: dict[str, Any] | None
    time_zone: NotRequired[str | None]
    crawling_expected: NotRequired[bool | None]
    progress_after_sessions: NotRequired[int | None]
    progress_full_percent: NotRequired[int | None]
    block_followup_weeks: NotRequired[int | None]


# The request's session remembers the settings read with its authorization (one round trip).
_SESSION_KEY = "dmi.rule_settings"
DEFAULTS = ClinicSettings(clinic_id=uuid.UUID(int=0), version=0)


def _or_default(value: Any, name: str) -> Any:
    return getattr(DEFAULTS, name) if value is None else value


def from_values(**values: Unpack[SettingsValues]) -> RuleSettings:
    """The rule settings of a settings row's values (None: no row, the defaults)."""
    age_rule = AgeRule(
        preterm_below_weeks=_or_default(values["preterm_below_weeks"], "preterm_below_weeks"),
        correct_until_months=_or_default(values["correct_until_months"], "correct_until_months"),
    )
    zone: str = _or_default(values.get("time_zone"), "time_zone")
    crawling: bool = _or_default(values.get("crawling_expected"), "crawling_expected")
    after: int = _or_default(values.get("progress_after_sessions"), "progress_after_sessions")
    full: int = _or_default(values.get("progress_full_percent"), "progress_full_percent")
    weeks: int = _or_default(values.get("block_followup_weeks"), "block_followup_weeks")
    if not values["aims_norms"]:  # immutable values: one shared object per combination
        return _without_norms(age_rule, None, zone, crawling, after, full, weeks)
    norms = AimsNorms.from_json(values["aims_norms"])
    return RuleSettings(age_rule, norms, zone, crawling, after, full, weeks)


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


_without_norms = functools.lru_cache(maxsize=256)(RuleSettings)


RULE_FIELDS = (
    "preterm_below_weeks",
    "correct_until_months",
    "aims_norms",
    "time_zone",
    "crawling_expected",
    "progress_after_sessions",
    "progress_full_percent",
    "block_followup_weeks",
)


def rules_of_row(row: Any) -> RuleSettings:
    """The rule settings a settings row (or a row with its columns) describes; its norm table
    was checked when stored."""
    values = cast(SettingsValues, {name: getattr(row, name) for name in RULE_FIELDS})
    return from_values(**values)


def remember(db: AsyncSession, clinic_id: uuid.UUID, rules: RuleSettings) -> None:
    """Keep the clinic's settings for the rest of the request."""
    db.info[_SESSION_KEY] = (clinic_id, rules)


def remembered(db: AsyncSession, clinic_id: uuid.UUID) -> RuleSettings | None:
    """The settings kept for this clinic earlier in the request, if any."""
    cached = db.info.get(_SESSION_KEY)
    if cached is not None and cached[0] == clinic_id:
        rules: RuleSettings = cached[1]
        return rules
    return None
