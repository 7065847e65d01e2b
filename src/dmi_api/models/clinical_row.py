"""Columns every clinical resource carries: identity, owner, version, timestamps, tombstone."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, func
from sqlalchemy import column as sa_column
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import id_field, timestamp_field


class ClinicalRow(TableModel):
    """Base of clinic-owned resources: versioned (ETag), soft-deleted, synced by `updated_at`.
    Each table's key is `(clinic_id, id)` (`tenant_keys.tenant_primary_key`, in its
    `__table_args__`)."""

    id: uuid.UUID = id_field()
    clinic_id: uuid.UUID = Field(foreign_key="clinic.id", primary_key=True)
    version: int = Field(default=1, ge=1)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    deleted_at: datetime | None = timestamp_field(nullable=True)


def sync_index(table: str) -> tuple[str, ...]:
    """Name and columns of the index behind `updated_since` feeds and default ordering."""
    return (f"ix_{table}_clinic_id_updated_at", "clinic_id", "updated_at", "id")


def name_prefix_index(table: str, column: str) -> Index:
    """An index for `lower(column) LIKE 'prefix%'` within a clinic (`text_pattern_ops`: the
    prefix is matched byte-wise whatever the database's collation)."""
    name = f"ix_{table}_clinic_id_lower_{column}"
    lowered = f"lower_{column}"
    expression = func.lower(sa_column(column)).label(lowered)
    return Index(name, "clinic_id", expression, postgresql_ops={lowered: "text_pattern_ops"})
