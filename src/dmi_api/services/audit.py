"""Recording the audit trail: metadata of every access, never payloads, names or tokens."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from dmi_api.auth.principal import Principal
from dmi_api.http.context import current_client_ip, current_request_id
from dmi_api.models import AuditEvent

Action = Literal["read", "list", "create", "update", "delete", "denied", "token"]


def record_event(
    db: AsyncSession,
    *,
    action: Action,
    resource_type: str,
    outcome: int,
    principal: Principal | None = None,
    clinic_id: uuid.UUID | None = None,
    client_id: str | None = None,
    resource_id: uuid.UUID | str | None = None,
    child_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Stage an audit event in the caller's transaction (it commits or fails with the change)."""
    event = AuditEvent(
        clinic_id=principal.clinic_id if principal else clinic_id,
        client_id=str(principal.client_id) if principal else client_id,
        token_jti=principal.token_jti if principal else None,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        child_id=child_id,
        outcome=outcome,
        request_id=current_request_id(),
        source_ip=current_client_ip(),
    )
    db.add(event)
    return event
