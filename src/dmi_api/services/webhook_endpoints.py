"""A clinic's webhook endpoints: registration, changes, secret rotation, test pings, and their
delivery log. These only write rows: the delivery side attempts every pending delivery due."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlmodel import col

from dmi_api.change_events import changed_fields
from dmi_api.errors import NotFoundError, ValidationProblemError
from dmi_api.models.columns import iso_z, utcnow
from dmi_api.models.webhooks import WebhookDelivery, WebhookEndpoint
from dmi_api.queries.pages import Keyset, keyset_slice
from dmi_api.schemas.webhooks import (
    RotationPublic,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
)
from dmi_api.services.resources import null_problems, oldest_first
from dmi_api.tenant_scope import Tenant
from dmi_api.webhooks.secrets import SecretBox, new_secret
from dmi_api.webhooks.url_policy import WebhookUrlError, check_webhook_url_resolving

PING = "ping"


@dataclass(frozen=True)
class Outbound:
    """What registration needs from the deployment: the secrets' key, whether loopback URLs
    are allowed (development only)."""

    box: SecretBox
    allow_loopback: bool


# What the public view shows of an endpoint's columns as they are.
_STORED_FIELDS = tuple(
    name for name in WebhookEndpointPublic.model_fields if name != "secret_rotation"
)


def to_public(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> WebhookEndpointPublic:
    """The public view of an endpoint (never a secret)."""
    expires = endpoint.previous_secret_expires_at
    rotation = None
    if endpoint.previous_secret is not None and expires is not None and expires > (now or utcnow()):
        rotation = RotationPublic(previous_expires_at=expires)
    stored = {name: getattr(endpoint, name) for name in _STORED_FIELDS}
    return WebhookEndpointPublic(**stored, secret_rotation=rotation)


def delivery_public(delivery: WebhookDelivery) -> WebhookDeliveryPublic:
    """The public view of a delivery (never its body or the receiver's answer)."""
    return WebhookDeliveryPublic.model_validate(delivery, from_attributes=True)


async def _allowed_url(url: str, outbound: Outbound) -> str:
    """The URL as it will be called, or the 422 of its refusal (its host resolved, each
    address checked)."""
    try:
        return await check_webhook_url_resolving(url, allow_loopback=outbound.allow_loopback)
    except WebhookUrlError as refused:
        raise refused.validation_error() from None


async def create_endpoint(
    tenant: Tenant, *, payload: WebhookEndpointCreate, outbound: Outbound, client_id: uuid.UUID
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret (the only time it is shown)."""
    url = await _allowed_url(payload.url, outbound)
    endpoint_id = uuid.uuid4()
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        clinic_id=tenant.clinic_id,
        url=url,
        description=payload.description,
        event_types=payload.event_types,
        secret=outbound.box.seal(secret, endpoint_id),
        client_id=client_id,
    )
    tenant.add(endpoint)
    await tenant.db.flush()
    return endpoint, secret


async def get_endpoint(
    tenant: Tenant, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint:
    """One endpoint of the clinic, or 404 (also for another clinic's)."""
    statement = tenant.select(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id)
    if for_update:  # as it is now, also when this session has read it before
        statement = statement.with_for_update().execution_options(populate_existing=True)
    endpoint = (await tenant.db.execute(statement)).scalar_one_or_none()
    if endpoint is None:
        raise NotFoundError("No such webhook endpoint.")
    return endpoint


# A page of the clinic's endpoints, oldest first, after a keyset position.
list_endpoints = partial(oldest_first, WebhookEndpoint)


def _touch(endpoint: WebhookEndpoint) -> None:
    endpoint.version += 1
    endpoint.updated_at = utcnow()


async def new_url(
    endpoint: WebhookEndpoint, changes: WebhookEndpointUpdate, outbound: Outbound
) -> str | None:
    """The URL a change sets, checked and its host resolved (None: the URL stays). Called before
    the endpoint's row is locked: a transaction holding a lock has an id, and one open while a
    name server takes its time would hold every clinic's change feed back (README: "Change
    events")."""
    if changes.url is None or changes.url == endpoint.url:
        return None
    return await _allowed_url(changes.url, outbound)


async def update_endpoint(
    tenant: Tenant,
    *,
    endpoint: WebhookEndpoint,
    changes: WebhookEndpointUpdate,
    url: str | None,
) -> tuple[WebhookEndpoint, bool]:
    """Apply the fields sent, the URL as `new_url` vetted it. Disabling records `manual`;
    re-enabling forgets the failures. Whether anything changed: a change of nothing (`{}`, the
    values it has) keeps the version (ETag) and `updated_at`, as a clinical resource's
    (`history.record_change`)."""
    if nulls := null_problems(changes, WebhookEndpointUpdate.NOT_NULL):
        raise ValidationProblemError(nulls)
    sent = changes.model_fields_set
    before = to_public(endpoint).model_dump(mode="json")
    if url is not None:
        endpoint.url = url
    if changes.event_types is not None:
        endpoint.event_types = changes.event_types
    if "description" in sent:
        endpoint.description = changes.description
    if changes.status is not None and changes.status != endpoint.status:
        endpoint.status = changes.status
        endpoint.disabled_reason = "manual" if changes.status == "disabled" else None
        endpoint.failing_since = None
    if not changed_fields(before, to_public(endpoint).model_dump(mode="json")):
        return endpoint, False
    _touch(endpoint)
    await tenant.db.flush()
    return endpoint, True


async def rotate_secret(
    tenant: Tenant, *, endpoint: WebhookEndpoint, overlap_seconds: int, outbound: Outbound
) -> str:
    """A new signing secret; the current one keeps signing beside it for `overlap_seconds`
    (an older previous secret stops at once). Returns the new secret, shown once."""
    secret = new_secret()
    if overlap_seconds > 0:
        endpoint.previous_secret = endpoint.secret  # sealed for this endpoint: moved as is
        endpoint.previous_secret_expires_at = utcnow() + timedelta(seconds=overlap_seconds)
    else:
        endpoint.previous_secret = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret = outbound.box.seal(secret, endpoint.id)
    _touch(endpoint)
    await tenant.db.flush()
    return secret


async def delete_endpoint(tenant: Tenant, *, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log."""
    owned = col(WebhookDelivery.endpoint_id) == endpoint.id
    await tenant.db.execute(tenant.delete(WebhookDelivery).where(owned))
    await tenant.db.delete(endpoint)
    await tenant.db.flush()


async def send_ping(tenant: Tenant, *, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` delivery to the endpoint, due now (the delivery side sends it)."""
    now = utcnow()
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": PING,
        "occurred_at": iso_z(now),
        "endpoint_id": str(endpoint.id),
    }
    delivery = WebhookDelivery(
        clinic_id=tenant.clinic_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=PING,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    tenant.add(delivery)
    await tenant.db.flush()
    return delivery


async def list_deliveries(
    tenant: Tenant,
    endpoint: WebhookEndpoint,
    status: str | None,
    limit: int,
    before: Keyset | None,
) -> list[WebhookDelivery]:
    """A page of an endpoint's deliveries, newest first, before a keyset position."""
    statement = tenant.select(WebhookDelivery).where(
        col(WebhookDelivery.endpoint_id) == endpoint.id
    )
    if status is not None:
        statement = statement.where(col(WebhookDelivery.status) == status)
    statement = keyset_slice(statement, WebhookDelivery, before, limit, newest_first=True)
    return list((await tenant.db.execute(statement)).scalars().all())


async def resend(
    tenant: Tenant, *, endpoint: WebhookEndpoint, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Make one of the endpoint's deliveries due again now (its attempts so far are kept)."""
    statement = (
        tenant.select(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint.id,
            col(WebhookDelivery.id) == delivery_id,
        )
        .with_for_update()
    )
    delivery = (await tenant.db.execute(statement)).scalar_one_or_none()
    if delivery is None:
        raise NotFoundError("No such delivery of this webhook endpoint.")
    now = utcnow()
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.updated_at = now
    await tenant.db.flush()
    return delivery
