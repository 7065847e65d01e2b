"""`/v1/events`: the clinic's change events, in feed order (read-only)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Query, Request, Response

from dmi_api.auth.dependencies import EventReader
from dmi_api.change_events import EVENT_TYPES
from dmi_api.models.columns import utcnow
from dmi_api.pagination import next_link
from dmi_api.routers import make_router
from dmi_api.routers.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from dmi_api.schemas.events import EventPage, event_public
from dmi_api.services.events import EventFilter, feed_cursor, feed_page, feed_position
from dmi_api.stores.results import cursor_codec

router = make_router(tag="events", prefix="/v1/events")
RESOURCE = "change_event"
# An event type, or a resource's prefix (`session_record.`).
TYPE_PATTERN = (
    "^(?:"
    + "|".join(
        rf"{re.escape(resource)}\.(?:{'|'.join(verbs)})?" for resource, verbs in EVENT_TYPES.items()
    )
    + ")$"
)
TypeFilter = Annotated[
    str | None,
    Query(
        alias="type",
        pattern=TYPE_PATTERN,
        description="an event type (`session_record.signed`) or a resource's prefix "
        "(`session_record.`)",
    ),
]


@router.get(
    "",
    response_model=EventPage,
    summary="List change events (the feed)",
    responses={
        410: {
            "description": "Gone: the cursor is older than the event retention (the events "
            "after it may have been pruned): `cursor_expired`; resync"
        }
    },
)
async def list_events(
    caller: EventReader,
    request: Request,
    response: Response,
    event_type: TypeFilter = None,
    child_id: uuid.UUID | None = None,
    resource_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> EventPage:
    """The clinic's change events in commit-safe order: a cursor never skips an event that
    commits later. `next_cursor` is always given: poll from it for what comes next (within
    the event retention: an older cursor is 410, as the events after it may be gone)."""
    filters = EventFilter(type=event_type, child_id=child_id, resource_id=resource_id)
    context = f"{RESOURCE}:{filters!r}"
    codec = cursor_codec(request, caller.tenant.clinic_id)
    now = utcnow()
    after = (0, 0)
    if cursor:
        retention = timedelta(days=request.app.state.settings.event_retention_days)
        after = feed_position(codec, cursor, context=context, now=now, retention=retention)
    rows = await feed_page(caller.tenant, filters=filters, after=after, limit=limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        after = (int(rows[-1].tx or 0), int(rows[-1].seq or 0))
    next_cursor = feed_cursor(codec, after, context=context, now=now)
    if has_more:
        response.headers.update(next_link(request.url, next_cursor))
    caller.audit("list", RESOURCE, outcome=200)
    return EventPage(
        data=[event_public(row) for row in rows], next_cursor=next_cursor, has_more=has_more
    )
