"""The change-event feed: a clinic's events in feed order, never past the horizon."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, tuple_
from sqlmodel import col

from dmi_api.models import ChangeEvent
from dmi_api.models.events import feed_horizon, own_tx
from dmi_api.tenant_scope import Tenant


@dataclass(frozen=True)
class EventFilter:
    """The feed's filters: a type (exact, or a prefix ending in `.`), a child, a resource;
    `occurred_from`: events that occurred at or after it (the dispatcher's, for endpoints
    registered since)."""

    type: str | None = None
    child_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None
    occurred_from: datetime | None = None


async def feed_page(
    tenant: Tenant, *, filters: EventFilter, after: tuple[int, int], limit: int
) -> list[ChangeEvent]:
    """Up to `limit` events after the position `(tx, seq)`, in feed order. Only events of
    transactions older than every running one are read (`feed_horizon`): none can commit
    later at an earlier position."""
    statement = tenant.select(ChangeEvent).where(
        or_(col(ChangeEvent.tx) < feed_horizon(), col(ChangeEvent.tx) == own_tx()),
        tuple_(col(ChangeEvent.tx), col(ChangeEvent.seq)) > tuple_(*after),
    )
    if filters.type is not None:
        if filters.type.endswith("."):
            statement = statement.where(col(ChangeEvent.type).startswith(filters.type))
        else:
            statement = statement.where(col(ChangeEvent.type) == filters.type)
    if filters.child_id is not None:
        statement = statement.where(col(ChangeEvent.child_id) == filters.child_id)
    if filters.resource_id is not None:
        statement = statement.where(col(ChangeEvent.resource_id) == filters.resource_id)
    if filters.occurred_from is not None:
        statement = statement.where(col(ChangeEvent.occurred_at) >= filters.occurred_from)
    statement = statement.order_by(col(ChangeEvent.tx), col(ChangeEvent.seq)).limit(limit)
    return list((await tenant.db.execute(statement)).scalars().all())
