"""Webhook endpoints a clinic registers, and the deliveries of events to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, UniqueConstraint
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import JSON_TYPE, timestamp_field


class WebhookEndpoint(TableModel, table=True):
    """A receiver of the clinic's events. Its signing secrets are kept encrypted
    (`dmi_api.webhooks.secrets`); during a rotation the previous one signs too until it
    expires."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (
        Index("ix_webhook_endpoint_clinic_id_created_at", "clinic_id", "created_at", "id"),
    )

    clinic_id: uuid.UUID = Field(primary_key=True, foreign_key="clinic.id")
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    url: str = Field(max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] = Field(sa_type=JSON_TYPE)
    status: str = Field(default="active", max_length=16)  # active | disabled
    disabled_reason: str | None = Field(default=None, max_length=16)  # manual | failing | gone
    secret: str = Field(max_length=512)  # encrypted
    previous_secret: str | None = Field(default=None, max_length=512)  # encrypted
    previous_secret_expires_at: datetime | None = timestamp_field(nullable=True)
    failing_since: datetime | None = timestamp_field(nullable=True)
    version: int = 1
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    client_id: uuid.UUID | None = None


class WebhookDelivery(TableModel, table=True):
    """One event to one endpoint: its body (ids only, as the feed shows the event), its attempts
    so far and when the next one is due."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        ForeignKeyConstraint(
            ["clinic_id", "endpoint_id"],
            ["webhook_endpoint.clinic_id", "webhook_endpoint.id"],
            ondelete="CASCADE",
        ),
        Index("ix_webhook_delivery_endpoint", "clinic_id", "endpoint_id", "created_at", "id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        # One delivery of an event to an endpoint, however often the dispatcher runs.
        UniqueConstraint("clinic_id", "endpoint_id", "event_id"),
    )

    clinic_id: uuid.UUID = Field(primary_key=True)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str = Field(max_length=48)
    payload: dict[str, Any] = Field(sa_type=JSON_TYPE)
    status: str = Field(default="pending", max_length=16)  # pending | succeeded | failed
    attempts: int = 0
    next_attempt_at: datetime | None = timestamp_field(nullable=True)
    last_status_code: int | None = None
    last_latency_ms: float | None = None
    last_error_class: str | None = Field(default=None, max_length=32)
    # The wait the last answer (a 429 or 503) asked for with `Retry-After`, in seconds.
    last_retry_after_seconds: int | None = None
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class WebhookDispatch(TableModel, table=True):
    """How far the dispatcher has turned a clinic's change events into deliveries: its position
    in the event feed (`models.events`)."""

    __tablename__ = "webhook_dispatch"

    clinic_id: uuid.UUID = Field(primary_key=True)
    tx: int = Field(default=0, sa_type=BigInteger)
    seq: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime = timestamp_field()
