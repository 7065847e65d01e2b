"""Cross-resource bookkeeping: version history and idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import JSON_TYPE, timestamp_field


class ResourceVersion(TableModel, table=True):
    """Every version of a versioned resource as the API showed it (append-only)."""

    __tablename__ = "resource_version"

    # A value, not a foreign key, as in the audit trail (migration 2026-11-25_log_tables_by_value).
    clinic_id: uuid.UUID = Field(primary_key=True)
    resource_type: str = Field(primary_key=True, max_length=40)
    resource_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    snapshot: dict[str, Any] = Field(sa_type=JSON_TYPE)
    recorded_at: datetime = timestamp_field()
    client_id: uuid.UUID | None = None


class IdempotencyKey(TableModel, table=True):
    """A client's `Idempotency-Key` and the response it produced, kept at least 24 hours."""

    __tablename__ = "idempotency_key"

    clinic_id: uuid.UUID = Field(primary_key=True, foreign_key="clinic.id")
    client_id: uuid.UUID = Field(primary_key=True)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    response_body: dict[str, Any] | None = Field(default=None, sa_type=JSON_TYPE)
    response_headers: dict[str, Any] | None = Field(default=None, sa_type=JSON_TYPE)
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field(index=True)
