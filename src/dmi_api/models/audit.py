"""The append-only audit trail of access to clinical data.

Two tables of the same columns: `audit_event`, one clinic's trail (clinic-owned, keyed by
`(clinic_id, id)`), and `audit_event_unattributed`, the events that belong to no clinic.

Why two: an event of a request whose token we did not sign (forged, garbled) or of a token
request naming no known client belongs to no clinic, and must appear in no clinic's trail.
It used to be an `audit_event` row with a NULL `clinic_id`; but the clinic leads the key of a
clinic's rows (`tenant_keys`) and is the column they are distributed by (README "Scaling out"),
which refuses NULL. A sentinel clinic id would keep one table at the price of a fake clinic
that every reader of `clinic_id` must know about, and of a hot spot (every forged request of
every attacker in one clinic's shard). A table of their own has no clinic to fake: it is
global (a Citus reference table, like `clinic`), the service's role may only insert into it
(no clinic reads it, row-level security needs no exception for NULL), and the operator reads
it as the owner.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import id_field, timestamp_field
from dmi_api.models.tenant_keys import tenant_primary_key


class AuditRecord(TableModel):
    """What an audit event records besides its clinic: who did what to which record, when,
    from where, and how it ended. Never payloads."""

    id: uuid.UUID = id_field()
    occurred_at: datetime = timestamp_field()
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


class AuditEvent(AuditRecord, table=True):
    """An event of one clinic's trail (`/v1/audit-events`)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        tenant_primary_key(),
        Index("ix_audit_event_clinic_id_occurred_at", "clinic_id", "occurred_at", "id"),
    )

    # A value, not a foreign key (migration 2026-11-25_log_tables_by_value): the trail outlives
    # what it names, and the key's row lock on the clinic, taken by every audited request, made
    # a clinic's concurrent requests queue on that one row.
    clinic_id: uuid.UUID = Field(primary_key=True)


class UnattributedAuditEvent(AuditRecord, table=True):
    """An event that belongs to no clinic: a denial before any clinic is known (a token we did
    not sign), a token request naming no known client. Global; written, never served."""

    __tablename__ = "audit_event_unattributed"
    __table_args__ = (Index("ix_audit_event_unattributed_occurred_at", "occurred_at"),)
