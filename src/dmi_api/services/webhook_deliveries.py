"""One delivery attempt's two transactions: the claim (the row locked, skipped if another
worker holds it, leased until the attempt must have ended) and the record of its outcome
(succeeded, retried later with backoff, or failed; an endpoint failing everything for five
days is disabled with a `webhook_endpoint.disabled` event). The call itself runs between them,
holding no transaction."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlmodel import col

from dmi_api.models import WebhookDelivery, WebhookEndpoint
from dmi_api.services.history import record_change_event
from dmi_api.tenant_scope import Tenant
from dmi_api.webhooks.backoff import DISABLE_AFTER, retry_delay
from dmi_api.webhooks.outcome import DeliveryOutcome
from dmi_api.webhooks.secrets import SecretBox


@dataclass(frozen=True)
class Claim:
    """A delivery this worker may attempt until `lease_until`: where, what and with which
    secrets."""

    clinic_id: uuid.UUID
    delivery_id: uuid.UUID
    url: str
    message_id: str
    body: bytes
    secrets: tuple[str, ...]
    attempts: int
    lease_until: datetime


async def claim_delivery(
    tenant: Tenant, delivery_id: uuid.UUID, *, box: SecretBox, now: datetime, lease: timedelta
) -> Claim | None:
    """Claim the delivery if it is pending and due and no other worker holds it; None
    otherwise. A delivery to an endpoint no longer active is failed instead."""
    statement = (
        tenant.select(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == delivery_id,
            col(WebhookDelivery.status) == "pending",
            col(WebhookDelivery.next_attempt_at) <= now,
        )
        .with_for_update(skip_locked=True)
    )
    delivery = (await tenant.db.execute(statement)).scalar_one_or_none()
    if delivery is None:
        return None
    endpoint = await tenant.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or endpoint.status != "active":
        delivery.status, delivery.next_attempt_at = "failed", None
        delivery.last_error_class, delivery.updated_at = "endpoint_disabled", now
        await tenant.db.flush()
        return None
    secrets = [box.open(endpoint.secret, endpoint.id)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        secrets.append(box.open(endpoint.previous_secret, endpoint.id))
    # The lease: not due again until the attempt must have ended (a worker killed mid-call
    # leaves it to be attempted again then).
    delivery.next_attempt_at = now + lease
    await tenant.db.flush()
    return Claim(
        clinic_id=tenant.clinic_id,
        delivery_id=delivery.id,
        url=endpoint.url,
        message_id=str(delivery.event_id),
        body=orjson.dumps(delivery.payload),
        secrets=tuple(secrets),
        attempts=delivery.attempts,
        lease_until=now + lease,
    )


async def record_attempt(
    tenant: Tenant,
    claim: Claim,
    outcome: DeliveryOutcome,
    *,
    now: datetime,
    rng: random.Random | None = None,
) -> str | None:
    """Keep the attempt's outcome; the delivery's new status, or None if the claim was lost
    (its lease ran out and another attempt took it over)."""
    statement = (
        tenant.select(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == claim.delivery_id,
            col(WebhookDelivery.status) == "pending",
            col(WebhookDelivery.attempts) == claim.attempts,
            col(WebhookDelivery.next_attempt_at) == claim.lease_until,
        )
        .with_for_update()
    )
    delivery = (await tenant.db.execute(statement)).scalar_one_or_none()
    if delivery is None:
        return None
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    delivery.last_latency_ms = round(outcome.latency_ms, 1)
    delivery.last_error_class = outcome.error_class
    delivery.updated_at = now
    if outcome.delivered:
        delivery.status, delivery.next_attempt_at = "succeeded", None
        # No lock on the endpoint for a success (the common case): its deliveries' records
        # would queue on it. Only a failing streak's end writes it.
        endpoint = await tenant.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is not None and endpoint.failing_since is not None:
            endpoint.failing_since = None
    else:
        endpoint = (
            await tenant.db.execute(
                tenant.select(WebhookEndpoint)
                .where(col(WebhookEndpoint.id) == delivery.endpoint_id)
                .with_for_update()
            )
        ).scalar_one()
        delay = retry_delay(delivery.attempts, rng)
        if delay is None:
            delivery.status, delivery.next_attempt_at = "failed", None
        else:
            delivery.next_attempt_at = now + delay
        if endpoint.failing_since is None:
            endpoint.failing_since = now
        elif endpoint.status == "active" and now - endpoint.failing_since >= DISABLE_AFTER:
            await _disable_failing(tenant, endpoint, now)
    await tenant.db.flush()
    return delivery.status


async def _disable_failing(tenant: Tenant, endpoint: WebhookEndpoint, now: datetime) -> None:
    endpoint.status, endpoint.disabled_reason = "disabled", "failing"
    endpoint.version += 1
    endpoint.updated_at = now
    changed = ["disabled_reason", "status"]
    record_change_event(
        tenant, "webhook_endpoint", endpoint.id, "disabled", changed, version=endpoint.version
    )
