"""Column helpers shared by the table models (UTC timestamps, ids)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

# JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JSON_TYPE = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def id_field() -> Any:
    """A random UUID primary key."""
    return Field(default_factory=uuid.uuid4, primary_key=True)


def timestamp_field(*, nullable: bool = False, index: bool = False) -> Any:
    """A timezone-aware timestamp column (defaults to now unless nullable)."""
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), index=index)


def clinic_fk(*, nullable: bool = False) -> Any:
    """The owning clinic of a tenant row."""
    return Field(foreign_key="clinic.id", nullable=nullable, index=False)
