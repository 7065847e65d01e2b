"""Webhook endpoints and their deliveries as the webhooks API shows them (a signing secret only
in the answer that made it)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from dmi_api.change_events import ALL_EVENT_TYPES, EVENT_TYPES
from dmi_api.schemas.base import RequestModel
from dmi_api.schemas.patch import PatchModel

EndpointStatus = Literal["active", "disabled"]
DisabledReason = Literal["manual", "failing", "gone"]
DeliveryStatus = Literal["pending", "succeeded", "failed"]
EVERYTHING = "*"
DEFAULT_OVERLAP_SECONDS = 86_400
MAX_OVERLAP_SECONDS = 7 * 86_400
MAX_EVENT_TYPES = 50

# What an endpoint may subscribe to: `*`, a resource's every event (`child.*`), or one event type.
EVENT_TYPE_PATTERN = (
    r"^(?:\*|"
    + "|".join(
        rf"{re.escape(resource)}\.(?:\*|{'|'.join(verbs)})"
        for resource, verbs in EVENT_TYPES.items()
    )
    + ")$"
)
EVENT_TYPES_DOC = (
    "the events to deliver: an event type (`session_record.signed`), every event of a resource "
    "(`session_record.*`), or `*` for every event, including types added later"
)


def subscribable(value: str) -> bool:
    """Whether `value` names an event type, a resource's `<resource>.*`, or `*`."""
    if value == EVERYTHING or value in ALL_EVENT_TYPES:
        return True
    resource, dot, rest = value.partition(".")
    return bool(dot) and rest == "*" and resource in EVENT_TYPES


def _check_event_type(value: str) -> str:
    if not subscribable(value):
        raise PydanticCustomError(
            "unknown_event_type",
            "Not an event type, a `<resource>.*` of one, or `*`.",
        )
    return value


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


EventTypeName = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"pattern": EVENT_TYPE_PATTERN}),
    AfterValidator(_check_event_type),
]
EventTypes = Annotated[
    list[EventTypeName],
    Field(min_length=1, max_length=MAX_EVENT_TYPES, description=EVENT_TYPES_DOC),
    AfterValidator(_distinct),
]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2048,
        description="the receiver: https:// on a public host (every address it resolves to is "
        "checked, at registration and at each delivery)",
    ),
]
Description = Annotated[str, Field(max_length=500)]


class WebhookEndpointCreate(RequestModel):
    """A new endpoint of the caller's clinic."""

    url: Url
    event_types: EventTypes
    description: Description | None = None


class WebhookEndpointUpdate(PatchModel):
    """Changes to an endpoint; omitted fields stay as they are. `status: active` re-enables a
    disabled endpoint (its failure record starts over); `disabled` stops its deliveries."""

    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"url", "event_types", "status"})

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    status: EndpointStatus | None = None


class SecretRotation(RequestModel):
    """How long the previous secret keeps signing beside the new one."""

    overlap_seconds: int = Field(
        default=DEFAULT_OVERLAP_SECONDS,
        ge=0,
        le=MAX_OVERLAP_SECONDS,
        description="seconds during which deliveries are signed with both secrets (0: the "
        "previous secret stops at once)",
    )


class RotationPublic(BaseModel):
    """A rotation under way: until when the previous secret still signs."""

    previous_expires_at: datetime


class WebhookEndpointPublic(BaseModel):
    """An endpoint as its clinic's administrators see it (never its secret)."""

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    status: EndpointStatus
    disabled_reason: DisabledReason | None = Field(
        description="`manual` (disabled through the API), `failing` (every delivery failed "
        "for five days) or `gone` (the receiver answered 410 Gone); null while active"
    )
    created_at: datetime
    updated_at: datetime
    version: int
    secret_rotation: RotationPublic | None = Field(
        description="while the previous secret still signs (after a rotation), until when"
    )


class WebhookEndpointWithSecret(WebhookEndpointPublic):
    """The answer of a creation or a rotation: the only time the signing secret is shown."""

    secret: str = Field(
        description="the signing secret (`whsec_` + base64), for Standard Webhooks verification"
    )


class WebhookDeliveryPublic(BaseModel):
    """One event's delivery to an endpoint: its attempts so far and the next one (the
    receiver's answer is not kept, only its status code and latency)."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_latency_ms: float | None
    last_error_class: str | None = Field(
        description="why the last attempt failed without a status code (timeout, refused "
        "connection, ...)"
    )
    last_retry_after_seconds: int | None = Field(
        description="the wait the last answer (a 429 or 503) asked for with `Retry-After`, in "
        "seconds (an HTTP date counted from the answer); `next_attempt_at` is no sooner, but at "
        "most 24 h after the answer and never past the delivery's give-up time (about three "
        "days after it was made); null when the answer asked for none"
    )
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
