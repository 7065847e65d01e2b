"""Building blocks of request and response models."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import cache
from operator import attrgetter
from typing import Annotated, Any

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

# Unknown fields, server-owned ones included (id, clinic_id, version, created_at), are refused.
STRICT = ConfigDict(extra="forbid")

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")
]


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# What an instant that an offset carries out of the years 1 to 9999 in UTC is told (FHIR too).
OUT_OF_UTC_RANGE = "The instant must fall between 0001-01-01 and 9999-12-31 in UTC."


def _iso_only(value: Any) -> Any:
    # pydantic reads "6", "6e3" or "-3.1e-302" as a Unix time; the API documents ISO 8601 and
    # means it: a text value must start with the ISO calendar date.
    if isinstance(value, int | float) or (isinstance(value, str) and not _ISO_DAY.match(value)):
        raise ValueError("expected an ISO 8601 date or date-time")
    return value


def _utc_representable(value: datetime) -> datetime:
    # An offset can carry 0001-01-01 or 9999-12-31 past the range of a datetime in UTC, which
    # the database drivers (and every filter and cursor) convert to: refused here, as a field
    # error, instead of an OverflowError deeper down. A naive value is read as UTC (it fits).
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError("datetime_out_of_range", OUT_OF_UTC_RANGE) from None
    return value


def _as_utc(value: datetime) -> datetime:
    # Filters compare instants: a naive value is UTC on every path (the asyncpg driver would
    # read a naive value in the server's local zone, the ORM path in UTC).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Every date-time of the API, in bodies and parameters: ISO 8601 only, representable in UTC.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_utc_representable)]
IsoAwareDateTime = Annotated[
    AwareDatetime, BeforeValidator(_iso_only), AfterValidator(_utc_representable)
]
# A filter's instant: as `IsoDateTime`, in UTC (a value without an offset is taken as UTC).
UtcInstant = Annotated[IsoDateTime, AfterValidator(_as_utc)]
# Python's dates (years 1 to 9999) all fit PostgreSQL's and SQLite's.
IsoDate = Annotated[date, BeforeValidator(_iso_only)]


class RequestModel(BaseModel):
    """A request body: unknown fields are errors."""

    model_config = STRICT


def with_examples(*examples: JsonDict) -> ConfigDict:
    """A request model's config documenting `examples` (unknown fields stay errors)."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


class ResourceMeta(BaseModel):
    """Server-owned fields of every clinical resource."""

    id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


class VersionPublic(BaseModel):
    """One kept version of a resource."""

    version: int
    recorded_at: datetime
    client_id: uuid.UUID | None
    resource: dict[str, object]


def plain(row: Any, model: type[BaseModel], **values: Any) -> dict[str, Any]:
    """A response body read straight off a row whose columns are the model's fields.

    The hot read paths skip validating every row again (it was validated when written, and
    pydantic's `from_attributes` dominated their cost); `values` replaces computed fields.
    tests/test_plain_views.py proves the body equals the model's own JSON.
    """
    template, read = _reader(model, tuple(values))
    body = template.copy()  # the model's fields, in its order
    body.update(read(row))
    body.update(values)
    return body


def stored(text: str | None) -> Any:
    """A JSON document's stored text as a body written out by `orjson` shows it: as it is
    (`orjson.Fragment`, not decoded and encoded again), or decoded when it spans lines (an NDJSON
    line must not)."""
    if text is None:
        return None
    if "\n" in text or "\r" in text:
        return orjson.loads(text)
    return orjson.Fragment(text)


@cache
def _reader(
    model: type[BaseModel], computed: tuple[str, ...]
) -> tuple[dict[str, Any], Callable[[Any], Iterable[tuple[str, Any]]]]:
    """For `plain`: the model's fields as an empty body, and what reads from a row the fields
    not `computed` (one C-level `attrgetter` for all of them: most of a bulk export's rows)."""
    names = tuple(name for name in model.model_fields if name not in computed)
    get = attrgetter(*names) if names else (lambda _row: ())
    if len(names) == 1:
        return dict.fromkeys(model.model_fields), lambda row: ((names[0], get(row)),)
    return dict.fromkeys(model.model_fields), lambda row: zip(names, get(row), strict=True)
