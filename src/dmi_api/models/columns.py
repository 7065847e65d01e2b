"""Column helpers shared by the table models (UTC timestamps, ids)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, TypeDecorator
from sqlmodel import Field

# `json` on PostgreSQL, JSON text on SQLite: documents written and read whole, never queried
# inside, so the text is kept as written (jsonb re-serializes on every read; see the migration
# 2026-11-25_json_documents).
JSON_TYPE = JSON()


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that reads back aware on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC; a naive value is taken to be UTC already."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    """ISO 8601 text of a moment, a UTC offset written `Z` (as JSON bodies and FHIR show it)."""
    return moment.isoformat().replace("+00:00", "Z")


def id_field() -> Any:
    """A random UUID primary key."""
    return Field(default_factory=uuid.uuid4, primary_key=True)


def timestamp_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A timezone-aware timestamp column (defaults to now unless nullable)."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, index=index)


def clinic_fk() -> Any:
    """The owning clinic of a tenant row: the first column of its key (`tenant_keys`)."""
    return Field(foreign_key="clinic.id", primary_key=True, index=False)


def json_default(value: object) -> str:
    """orjson's `default` for what it does not take itself: asyncpg's own UUID subclass."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
