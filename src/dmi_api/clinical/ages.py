"""Chronological and corrected (prematurity-adjusted) ages, rule `corrected-age@2`."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

# @2: a child born at or after 40+0 is never corrected, whatever the clinic's threshold (@1,
# with `preterm_below_weeks` above 40, gave a post-term child a corrected age older than it).
RULE = "corrected-age@2"
DAYS_PER_MONTH = 30.4375  # WHO: 365.25 / 12
TERM_DAYS = 280  # 40 weeks: corrected age counts from this term-equivalent date


@dataclass(frozen=True)
class AgeRule:
    """When an age is corrected for prematurity; both thresholds are configurable per clinic."""

    # Correct only when gestational age at birth < this many weeks (and < 40: born at term or
    # later, nothing is corrected whatever the threshold).
    preterm_below_weeks: int = 37
    correct_until_months: int = 24  # ... and the chronological age is < this many (calendar) months


@dataclass(frozen=True)
class Age:
    """A child's age in days on one date, with the corrected age when the rule applies."""

    chronological_days: int
    # Negative before the due date, on purpose: it tells the clinician how far before
    # term-equivalent age the child is, which a clamp to 0 would hide.
    corrected_days: int | None
    # Birthdays passed (calendar years) of the effective age: counted from the birth date, or
    # from the term-equivalent date when the corrected age applies. Bands in years (GMFCS)
    # start on the birthday itself, which a count of days / 365.25 misses by up to a day.
    effective_years: int
    rule: str = RULE

    @property
    def effective_days(self) -> int:
        """The age age-dependent rules use: corrected when the rule applies, else chronological."""
        return self.corrected_days if self.corrected_days is not None else self.chronological_days

    def as_json(self) -> dict[str, object]:
        """Both ages and the rule version, so that every age-dependent result stays auditable."""
        return {
            "chronological_days": self.chronological_days,
            "corrected_days": self.corrected_days,
            "rule": self.rule,
        }


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(start: date, count: int) -> date:
    """`start` plus `count` calendar months, clamping the day (2024-01-31 + 1 → 2024-02-29)."""
    year, month_index = divmod(start.year * 12 + (start.month - 1) + count, 12)
    last_day = _DAYS_IN_MONTH[month_index] + (month_index == 1 and calendar.isleap(year))
    return date(year, month_index + 1, min(start.day, last_day))


def completed_years(since: date, on: date) -> int:
    """Birthdays of `since` passed by `on` (-1 before `since`); a 29 February falls on 28 Feb.

    Anniversaries are `add_months(since, 12 * n)`, the calendar arithmetic of the corrected-age
    limit, so a child born on 29 February turns a year older on 28 February of a common year.
    """
    years = on.year - since.year
    if add_months(since, 12 * years) > on:
        years -= 1
    return years


def completed_months(since: date, on: date) -> int:
    """Calendar months from `since` completed by `on` (negative before `since`): a month from
    31 January ends on 28/29 February (`add_months`), as the corrected-age limit counts."""
    count = (on.year - since.year) * 12 + on.month - since.month
    if add_months(since, count) > on:
        count -= 1
    return count


def days_to_term(
    gestational_age_weeks: int | None, gestational_age_days: int | None, rule: AgeRule
) -> int | None:
    """Days from birth to the term-equivalent date when the child was born preterm by the rule
    (None: no correction by gestation, whatever the age)."""
    if gestational_age_weeks is None:
        # Unknown gestational age: nothing to correct by, so the chronological age stands.
        return None
    # Whole days avoid float error at the threshold: 36+6 is 258 days < 37 * 7 = 259.
    gestation = gestational_age_weeks * 7 + (gestational_age_days or 0)
    # Born at or after term (40+0) no week was missed: a clinic threshold above 40 weeks must
    # not make "weeks early" zero or negative, which would age a post-term child forward.
    if gestation >= min(rule.preterm_below_weeks * 7, TERM_DAYS):
        return None
    return TERM_DAYS - gestation


def correction_ends(birth_date: date, rule: AgeRule) -> date:
    """The first day a preterm child's age is chronological again (correction applies before)."""
    return add_months(birth_date, rule.correct_until_months)


def age_days(
    birth_date: date,
    gestational_age_weeks: int | None,
    gestational_age_days: int | None,
    on: date,
    rule: AgeRule,
) -> tuple[int, int | None]:
    """The rule itself: (chronological days, corrected days or None when it does not apply).

    Raises ValueError for a date before birth. `age_on` wraps it; bodies built without
    validation (lists of children) call it directly, once per child.
    """
    if on < birth_date:
        raise ValueError(f"{on.isoformat()} is before the birth date {birth_date.isoformat()}")
    chronological = (on - birth_date).days
    early = days_to_term(gestational_age_weeks, gestational_age_days, rule)
    if early is None or on >= correction_ends(birth_date, rule):
        return chronological, None
    return chronological, chronological - early


def age_on(
    *,
    birth_date: date,
    gestational_age_weeks: int | None,
    gestational_age_days: int | None,
    on: date,
    rule: AgeRule = AgeRule(),  # frozen, so one shared default instance is safe
) -> Age:
    """The child's age on `on`; raises ValueError for a date before birth."""
    chronological, corrected = age_days(
        birth_date, gestational_age_weeks, gestational_age_days, on, rule
    )
    # The corrected age counts from the term-equivalent date, so its birthdays do too.
    since = (
        birth_date if corrected is None else birth_date + timedelta(days=chronological - corrected)
    )
    return Age(
        chronological_days=chronological,
        corrected_days=corrected,
        effective_years=completed_years(since, on),
    )


def months(days: int) -> float:
    """Days as (WHO) months of 30.4375 days, unrounded."""
    return days / DAYS_PER_MONTH
