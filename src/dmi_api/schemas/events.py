"""Change events as the feed (`GET /v1/events`) and webhook deliveries show them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from dmi_api.change_events import ALL_EVENT_TYPES
from dmi_api.models import ChangeEvent
from dmi_api.schemas.common import CURSOR_MAX_LENGTH, CURSOR_MIN_LENGTH, CURSOR_PATTERN

DUE_EVENT = "assessment.due"  # its resource is the child; it is read at `.../children/{id}/due`
# Where a receiver reads the resource (with its own token).
RESOURCE_PATHS = {
    "child": "/v1/children",
    "practitioner": "/v1/practitioners",
    "exercise": "/v1/exercises",
    "milestone": "/v1/milestones",
    "prescription": "/v1/prescriptions",
    "session_record": "/v1/session-records",
    "assessment": "/v1/assessments",
    "client": "/v1/clients",
    "webhook_endpoint": "/v1/webhook-endpoints",
}


class EventResource(BaseModel):
    """The changed resource: its type, id, new version and where to read it."""

    type: str
    id: uuid.UUID
    version: int | None = Field(description="its new version; null for an API client (unversioned)")
    path: str = Field(description="the resource's path in this API (read it with your token)")


class EventPublic(BaseModel):
    """One change: what, when, to which resource; the names of the fields that changed (none for
    a first version), never their values."""

    id: uuid.UUID
    type: str = Field(
        description="`<resource>.<verb>`; every type is listed here and in the README",
        json_schema_extra={"enum": list(ALL_EVENT_TYPES)},
    )
    occurred_at: datetime
    resource: EventResource
    child_id: uuid.UUID | None
    changed_fields: list[str]


def event_public(row: ChangeEvent) -> EventPublic:
    """The event as the feed and webhook deliveries show it."""
    resource = EventResource(
        type=row.resource_type,
        id=row.resource_id,
        version=row.version,
        path=f"{RESOURCE_PATHS[row.resource_type]}/{row.resource_id}"
        + ("/due" if row.type == DUE_EVENT else ""),
    )
    return EventPublic(
        id=row.id,
        type=row.type,
        occurred_at=row.occurred_at,
        resource=resource,
        child_id=row.child_id,
        changed_fields=row.changed_fields,
    )


class EventPage(BaseModel):
    """A page of the feed. `next_cursor` is always given: the position after this page, to
    poll from later even when the page is empty."""

    data: list[EventPublic]
    next_cursor: str = Field(
        pattern=CURSOR_PATTERN, min_length=CURSOR_MIN_LENGTH, max_length=CURSOR_MAX_LENGTH
    )
    has_more: bool = Field(description="true when more events were ready than this page held")
