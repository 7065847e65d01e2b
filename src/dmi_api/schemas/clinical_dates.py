"""Dates of clinical facts: never in the future, birth dates never implausibly old."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from dmi_api.schemas.base import IsoDate

# Children served are pediatric; an earlier birth date is a typing error, not a patient.
EARLIEST_BIRTH_DATE = date(1990, 1, 1)
# UTC+14 is the most advanced time zone: a date that is already "today" somewhere is accepted.
_MOST_AHEAD = timedelta(hours=14)


def latest_allowed_date() -> date:
    """The latest calendar date that is not in the future anywhere on earth."""
    return (datetime.now(UTC) + _MOST_AHEAD).date()


def _not_in_future(value: date) -> date:
    if value > latest_allowed_date():
        raise PydanticCustomError("date_in_future", "The date must not be in the future.")
    return value


def _plausible_birth(value: date) -> date:
    if value < EARLIEST_BIRTH_DATE:
        raise PydanticCustomError(
            "date_too_early", "The birth date must be on or after 1990-01-01."
        )
    return value


PastDate = Annotated[IsoDate, AfterValidator(_not_in_future)]
BirthDate = Annotated[IsoDate, AfterValidator(_not_in_future), AfterValidator(_plausible_birth)]

# A report's window is computed day by day: an end centuries ahead would keep a worker busy
# for seconds (and 0001-01-01 has no day before it). Five years covers any prescription.
REPORT_END_AHEAD = timedelta(days=5 * 366)


def _plausible_report_end(value: date) -> date:
    if value == date.min or value > latest_allowed_date() + REPORT_END_AHEAD:
        raise PydanticCustomError(
            "date_out_of_range",
            "The end must be after 0001-01-01 and at most five years from today.",
        )
    return value


# The exclusive end day of a report's window (progress, adherence).
ReportEnd = Annotated[IsoDate, AfterValidator(_plausible_report_end)]
