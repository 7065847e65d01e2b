"""The append-only audit trail of access to clinical data."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import id_field, timestamp_field


class AuditEvent(TableModel, table=True):
    """Who did what to which record, when, from where, and how it ended. Never payloads."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_clinic_id_occurred_at", "clinic_id", "occurred_at", "id"),
    )

    id: uuid.UUID = id_field()
    occurred_at: datetime = timestamp_field()
    # Null only for denials before any clinic is known (an invalid token). A value, not a
    # foreign key (migration 2026-11-25_log_tables_by_value): the trail outlives what it names,
    # and the key's row lock on the clinic, taken by every audited request, made a clinic's
    # concurrent requests queue on that one row.
    clinic_id: uuid.UUID | None = Field(default=None, nullable=True)
    client_id: str | None = Field(default=None, max_length=64)
    token_jti: str | None = Field(default=None, max_length=255)
    action: str = Field(max_length=32)
    resource_type: str = Field(max_length=64)
    resource_id: str | None = Field(default=None, max_length=64)
    child_id: uuid.UUID | None = None
    outcome: int
    # A write refused for a reference in its body (422 `reference_not_found`): the field, as a
    # JSON pointer, and the id it named (another clinic's, a deleted row's or no row's).
    reference_field: str | None = Field(default=None, max_length=128)
    reference_id: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=128)
    source_ip: str | None = Field(default=None, max_length=64)
