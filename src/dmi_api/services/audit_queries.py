"""Reading the audit trail (newest first, keyset-paginated, always one clinic's)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col

from dmi_api.models import AuditEvent
from dmi_api.queries.pages import Keyset, keyset_slice
from dmi_api.tenant_scope import Tenant


@dataclass(frozen=True)
class AuditFilter:
    """Optional filters of the audit list."""

    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    child_id: uuid.UUID | None = None
    client_id: str | None = None
    outcome: int | None = None
    reference_id: str | None = None


async def list_events(
    tenant: Tenant, filters: AuditFilter, limit: int, before: Keyset | None
) -> list[AuditEvent]:
    """A page of events matching the filters, newest first, before a keyset position."""
    statement = tenant.select(AuditEvent)
    f = filters
    if f.occurred_from is not None:
        statement = statement.where(col(AuditEvent.occurred_at) >= f.occurred_from)
    if f.occurred_to is not None:
        statement = statement.where(col(AuditEvent.occurred_at) < f.occurred_to)
    equal_to = {
        "action": f.action,
        "resource_type": f.resource_type,
        "resource_id": f.resource_id,
        "child_id": f.child_id,
        "client_id": f.client_id,
        "outcome": f.outcome,
        "reference_id": f.reference_id,
    }
    for column, value in equal_to.items():
        if value is not None:
            statement = statement.where(getattr(AuditEvent, column) == value)
    statement = keyset_slice(
        statement, AuditEvent, before, limit, stamp="occurred_at", newest_first=True
    )
    return list((await tenant.db.execute(statement)).scalars().all())
