"""The change-event feed: a clinic's events in feed order, never past the horizon, and its
cursors (a position, and when it was handed out: past the retention it is gone)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, tuple_
from sqlmodel import col

from dmi_api.errors import GoneError
from dmi_api.models import ChangeEvent
from dmi_api.models.events import feed_horizon, own_tx
from dmi_api.pagination import CursorCodec, invalid_cursor
from dmi_api.tenant_scope import Tenant

# An event after a cursor may have occurred a little before the cursor was handed out (its
# transaction was still running then): a cursor expires this much before the retention ends.
EXPIRY_MARGIN = timedelta(hours=1)


class CursorExpiredError(GoneError, code="cursor_expired"):
    """A feed cursor older than the retention: the events after it may have been pruned."""


@dataclass(frozen=True)
class EventFilter:
    """The feed's filters: a type (exact, or a prefix ending in `.`), a child, a resource;
    `occurred_from`: events that occurred at or after it (the dispatcher's, for endpoints
    registered since)."""

    type: str | None = None
    child_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None
    occurred_from: datetime | None = None


def feed_cursor(
    codec: CursorCodec, position: tuple[int, int], *, context: str, now: datetime
) -> str:
    """The cursor of a position, handed out `now`."""
    return codec.encode([*position, int(now.timestamp())], context=context)


def feed_position(
    codec: CursorCodec, cursor: str, *, context: str, now: datetime, retention: timedelta
) -> tuple[int, int]:
    """The position of a cursor made by `feed_cursor`, else a 422; a 410 once it is older
    than the retention (less the margin): the events after it may be gone. A cursor of two
    numbers (handed out before cursors were dated) has no age."""
    position = codec.decode(cursor, context=context)
    if len(position) not in (2, 3) or not all(type(value) is int for value in position):
        raise invalid_cursor()
    if len(position) == 3 and position[2] < (now - retention + EXPIRY_MARGIN).timestamp():
        raise CursorExpiredError(
            "This cursor is older than the event retention: events after it may have been "
            "pruned. Load the lists again, then read the feed from its start (no cursor)."
        )
    return position[0], position[1]


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
