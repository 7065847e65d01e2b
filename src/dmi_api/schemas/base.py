"""Building blocks of request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# Unknown fields, server-owned ones included (id, clinic_id, version, created_at), are refused.
STRICT = ConfigDict(extra="forbid")

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")
]


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
