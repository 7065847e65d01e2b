"""FHIR search parameters the API supports, parsed into conditions: `_lastUpdated` with its
prefixes, `identifier` as `system|value`. Bad values are 400s (an OperationOutcome)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.schemas.base import OUT_OF_UTC_RANGE

_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
MAX_IDS = 100
# What the parameters' schemas state (a day may still not exist: `invalid_search_value`).
_DAY = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_TIME = r"T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)"
LAST_UPDATED_PATTERN = f"^(gt|ge|lt|le){_DAY}({_TIME})?$"
PATIENT_PATTERN = f"^(Patient/)?{_UUID}$"
_PREFIXED = re.compile(r"^(gt|ge|lt|le)(.+)$")
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


def last_updated_bounds(values: list[str], name: str = "_lastUpdated") -> list[Bound]:
    """`_lastUpdated=ge2026-01-01&_lastUpdated=lt2026-02-01` as half-open bounds; a date without
    a time covers its whole UTC day (`le2026-01-31` is before 1 February)."""
    if len(values) > 2:
        raise _problem(name, "At most twice: a lower and an upper bound.")
    bounds: list[Bound] = []
    for value in values:
        match = _PREFIXED.match(value)
        if match is None:
            raise _problem(name, "Use gt, ge, lt or le and a date or an instant.")
        prefix, text = match.groups()
        try:
            if "T" in text:
                start = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
                end = _later(start, timedelta(microseconds=1))
            else:
                day = date.fromisoformat(text)
                start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                end = _later(start, timedelta(days=1))
        except ValueError:
            raise _problem(name, "Not a valid date or instant.") from None
        except OverflowError:
            raise _problem(name, OUT_OF_UTC_RANGE) from None
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
