"""FHIR search parameters the API supports, parsed into conditions: `_lastUpdated` and `date`
with their prefixes, `identifier` as `system|value`. Bad values are 400s (an OperationOutcome)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.schemas.base import OUT_OF_UTC_RANGE

# FHIR's id (R4 datatypes, `id`): 1 to 64 letters, digits, `-` and `.`, case-sensitive. Any
# such id is asked for (one that is none of ours is not found); anything else is a 400.
FHIR_ID = r"[A-Za-z0-9\-\.]{1,64}"
MAX_IDS = 100
# What the parameters' schemas state (a day may still not exist: `invalid_search_value`).
_DAY = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
# FHIR's instant and dateTime take any number of fraction digits (a client writing nanoseconds,
# as Go's RFC3339Nano and Java's Instant do); what is stored is to the microsecond.
_TIME = r"T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)"
# The fraction's digits past the microsecond; the seconds and fraction a time gives.
_FINER = re.compile(r"\.\d{6}(\d+)")
_SECONDS = re.compile(r"T\d\d:\d\d(:\d\d(\.(\d+))?)?")
# No prefix is `eq` (FHIR search.html, "Prefixes"); `ne`, `sa`, `eb` and `ap` are not served.
LAST_UPDATED_PATTERN = f"^(eq|gt|ge|lt|le)?{_DAY}({_TIME})?$"
PATIENT_PATTERN = f"^(Patient/)?{FHIR_ID}$"
_PREFIXED = re.compile(r"^(eq|gt|ge|lt|le)?(\d.*)$")
# The last moment a datetime holds: a range reaching past it (`le9999-12-31`) ends there, after
# every stored moment.
LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Bound:
    """One side of a `_lastUpdated` range: `updated_at >= at` (`lower`) or `< at`."""

    lower: bool
    at: datetime


def _problem(name: str, detail: str) -> ValidationProblemError:
    return ValidationProblemError(
        [FieldProblem(f"#/{name}", detail, "invalid_search_value")],
        detail=f"The search parameter {name} is not valid.",
    )


def _later(moment: datetime, step: timedelta) -> datetime:
    try:
        return moment + step
    except OverflowError:
        return LATEST


def _precision(text: str) -> timedelta:
    """The range an instant's text implies (FHIR's `eq`): a minute, a second, or its fraction's
    last digit (a microsecond at the finest: what is stored)."""
    found = _SECONDS.search(text)
    if found is None or found.group(1) is None:
        return timedelta(minutes=1)
    digits = len(found.group(3) or "")
    return timedelta(microseconds=10 ** max(6 - digits, 0))


def last_updated_bounds(values: list[str], name: str = "_lastUpdated") -> list[Bound]:
    """`_lastUpdated=ge2026-01-01&_lastUpdated=lt2026-02-01` as half-open bounds; a date without
    a time covers its whole UTC day (`le2026-01-31` is before 1 February); `eq` (or no prefix)
    is the range of the value's precision, both bounds (`2026-01-31` is that day)."""
    if len(values) > 2:
        raise _problem(name, "At most twice: a lower and an upper bound.")
    bounds: list[Bound] = []
    for value in values:
        match = _PREFIXED.match(value)
        if match is None:
            raise _problem(
                name, "Use eq (or no prefix), gt, ge, lt or le and a date or an instant."
            )
        prefix, text = match.groups()
        try:
            if "T" in text:
                # To the microsecond (Python drops finer digits): the instant lies in
                # [floor, floor + 1 µs), so `ge`/`lt` a finer one start at the next microsecond.
                floor = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
                end = _later(floor, timedelta(microseconds=1))
                finer = _FINER.search(text)
                start = end if finer and finer.group(1).strip("0") else floor
                within = _later(floor, _precision(text))
            else:
                day = date.fromisoformat(text)
                start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                end = within = _later(start, timedelta(days=1))
        except ValueError:
            raise _problem(name, "Not a valid date or instant.") from None
        except OverflowError:
            raise _problem(name, OUT_OF_UTC_RANGE) from None
        if prefix in (None, "eq"):
            bounds += [Bound(True, start), Bound(False, within)]
            continue
        bounds.append(
            {
                "ge": Bound(True, start),
                "gt": Bound(True, end),
                "lt": Bound(False, start),
                "le": Bound(False, end),
            }[prefix]
        )
    return bounds


# What `identifier=system|` (the clinic's system, no value) asks for: any identifier of it.
ANY_IDENTIFIER = ""


def identifier_value(value: str, system: str) -> str | None:
    """The value of `identifier=[system|]value` (FHIR's token forms); `ANY_IDENTIFIER` for
    `system|` (any value of the system); None when nothing of ours can match: another system,
    or `|value` (an identifier without a system, and every one of ours has one)."""
    given_system, bar, given_value = value.rpartition("|")
    if not bar:
        return value or None  # `identifier=` names no value: nothing has it
    if given_system != system:
        return None
    return given_value or ANY_IDENTIFIER


def patient_id(reference: str) -> uuid.UUID | None:
    """The child a `patient`/`subject` value (`Patient/{id}` or `{id}`) names; None when the id
    is none of ours: a child's id is its UUID as we write it (ids are case-sensitive, so
    `Patient/ABC…` is not `Patient/abc…`)."""
    resource_id = reference.removeprefix("Patient/")
    try:
        found = uuid.UUID(resource_id)
    except ValueError:
        return None
    return found if str(found) == resource_id else None
