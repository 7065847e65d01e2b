"""Building blocks of request and response models."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, StringConstraints

# Unknown fields, server-owned ones included (id, clinic_id, version, created_at), are refused.
STRICT = ConfigDict(extra="forbid")

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")
]


_NUMBER = re.compile(r"\s*[-+]?\d+(\.\d*)?\s*")


def _iso_only(value: Any) -> Any:
    # pydantic reads "6" as a Unix time; the API documents ISO 8601 and means it.
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("expected an ISO 8601 date or date-time")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]
IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoAwareDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]


class RequestModel(BaseModel):
    """A request body: unknown fields are errors."""

    model_config = STRICT


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
    return {
        name: values[name] if name in values else getattr(row, name) for name in model.model_fields
    }
