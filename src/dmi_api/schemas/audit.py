"""Audit events as `GET /v1/audit-events` shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AuditEventPublic(BaseModel):
    """One audited access: who, what, when, from where, and the outcome. Never payloads."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    clinic_id: uuid.UUID | None
    client_id: str | None
    token_jti: str | None
    action: str
    resource_type: str
    resource_id: str | None
    child_id: uuid.UUID | None
    outcome: int
    reference_field: str | None = Field(
        description="a write refused for a reference in its body (422 `reference_not_found`): "
        "the field, as a JSON pointer into the request body"
    )
    reference_id: str | None = Field(
        description="the id that field named: another clinic's row, a deleted row or none"
    )
    request_id: str | None
    source_ip: str | None
