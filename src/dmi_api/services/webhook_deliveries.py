"""A delivery attempt's two transactions: the claim (the row locked, skipped if another worker
holds it, leased until the attempt must have ended; the dispatcher's new deliveries are born
claimed, `webhook_dispatch`) and the record of its outcome (succeeded, retried later with
backoff, or failed; an endpoint failing everything for five days, or whose receiver answered
410 Gone, is disabled with a `webhook_endpoint.disabled` event). The call itself runs between
them, holding no transaction. Many attempts' outcomes are recorded in one transaction,
successes in one statement."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import bindparam
from sqlmodel import col

from dmi_api.models import WebhookDelivery, WebhookEndpoint
from dmi_api.queries.predicates import columns
from dmi_api.services.history import record_change_event
from dmi_api.services.webhook_endpoints import PING
from dmi_api.tenant_scope import Tenant
from dmi_api.webhooks.backoff import DISABLE_AFTER, next_attempt_at
from dmi_api.webhooks.outcome import DeliveryOutcome
from dmi_api.webhooks.secrets import SecretBox


@dataclass(frozen=True)
class Claim:
    """A delivery this worker may attempt until `lease_until`: where, what and with which
    secrets."""

    clinic_id: uuid.UUID
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    message_id: str
    body: bytes
    secrets: tuple[str, ...]
    attempts: int
    lease_until: datetime


def signing_secrets(endpoint: WebhookEndpoint, box: SecretBox, now: datetime) -> tuple[str, ...]:
    """The secrets a delivery to the endpoint is signed with now: the current one, and the
    previous one during a rotation's overlap."""
    secrets = [box.open(endpoint.secret, endpoint.id)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        secrets.append(box.open(endpoint.previous_secret, endpoint.id))
    return tuple(secrets)


async def claim_delivery(
    tenant: Tenant, delivery_id: uuid.UUID, *, box: SecretBox, now: datetime, lease: timedelta
) -> Claim | None:
    """Claim the delivery if it is pending and due and no other worker holds it; None
    otherwise. A delivery to an endpoint no longer active is failed instead (but a ping)."""
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
    # A test ping is sent to a disabled endpoint too: how a clinic checks a repaired receiver.
    if endpoint is None or (endpoint.status != "active" and delivery.event_type != PING):
        delivery.status, delivery.next_attempt_at = "failed", None
        delivery.last_error_class, delivery.updated_at = "endpoint_disabled", now
        await tenant.db.flush()
        return None
    # The lease: not due again until the attempt must have ended (a worker killed mid-call
    # leaves it to be attempted again then).
    delivery.next_attempt_at = now + lease
    await tenant.db.flush()
    return Claim(
        clinic_id=tenant.clinic_id,
        delivery_id=delivery.id,
        endpoint_id=endpoint.id,
        url=endpoint.url,
        message_id=str(delivery.event_id),
        body=orjson.dumps(delivery.payload),
        secrets=signing_secrets(endpoint, box, now),
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
    if not outcome.delivered:
        statuses = await _record_failures(tenant, [(claim, outcome)], now=now, rng=rng)
        return statuses.get(claim.delivery_id)
    delivery = (await _held(tenant, [claim])).get(claim.delivery_id)
    if delivery is None:
        return None
    _note(delivery, outcome, now)
    delivery.status, delivery.next_attempt_at = "succeeded", None
    await tenant.db.flush()
    await _end_streaks(tenant, {claim.endpoint_id})
    return delivery.status


async def record_attempts(
    tenant: Tenant,
    attempts: Sequence[tuple[Claim, DeliveryOutcome]],
    *,
    now: datetime,
    rng: random.Random | None = None,
) -> None:
    """Keep many attempts' outcomes: the failures as `record_attempt` does (each endpoint
    locked once), the successes in one statement (no lock taken but the rows'); a lost
    claim's outcome is not kept."""
    failed = [(claim, outcome) for claim, outcome in attempts if not outcome.delivered]
    if failed:
        await _record_failures(tenant, failed, now=now, rng=rng)
    done = [(claim, outcome) for claim, outcome in attempts if outcome.delivered]
    if not done:
        return
    table = columns(WebhookDelivery)
    succeeded = (
        tenant.update(WebhookDelivery)
        .where(*_claim_still_held(table))
        .values(
            status="succeeded",
            attempts=table.attempts + 1,
            next_attempt_at=None,
            last_status_code=bindparam("d_code"),
            last_latency_ms=bindparam("d_latency"),
            last_error_class=None,
            last_retry_after_seconds=None,
            updated_at=now,
        )
    )
    parameters = [
        {
            **_claim_values(claim),
            "d_code": outcome.status_code,
            "d_latency": round(outcome.latency_ms, 1),
        }
        for claim, outcome in done
    ]
    await tenant.db.execute(succeeded, parameters)
    await _end_streaks(tenant, {claim.endpoint_id for claim, _ in done})


def _claim_still_held(table: Any) -> tuple[Any, ...]:
    """A claimed delivery's row as its claim left it (not taken over since): bound by
    `_claim_values`."""
    return (
        table.id == bindparam("d_id"),
        table.status == "pending",
        table.attempts == bindparam("d_attempts"),
        table.next_attempt_at == bindparam("d_lease"),
    )


def _claim_values(claim: Claim) -> dict[str, Any]:
    return {"d_id": claim.delivery_id, "d_attempts": claim.attempts, "d_lease": claim.lease_until}


async def release_claims(tenant: Tenant, claims: Sequence[Claim], *, now: datetime) -> None:
    """Give up claims whose calls were never begun (their clinic's calls or the pool were busy
    for their whole lease): due again now, no attempt counted, instead of idle until their
    leases end; a claim no longer held (taken over) is left alone."""
    if not claims:
        return
    table = columns(WebhookDelivery)
    released = (
        tenant.update(WebhookDelivery).where(*_claim_still_held(table)).values(next_attempt_at=now)
    )
    parameters = [_claim_values(claim) for claim in claims]
    await tenant.db.execute(released, parameters)


async def _held(tenant: Tenant, claims: Sequence[Claim]) -> dict[uuid.UUID, WebhookDelivery]:
    """The claims' deliveries their claims still hold (not taken over after their lease),
    locked."""
    wanted = {claim.delivery_id: claim for claim in claims}
    statement = (
        tenant.select(WebhookDelivery)
        .where(col(WebhookDelivery.id).in_(wanted), col(WebhookDelivery.status) == "pending")
        .order_by(col(WebhookDelivery.id))
        .with_for_update()
    )
    rows = (await tenant.db.execute(statement)).scalars().all()
    return {
        row.id: row
        for row in rows
        if row.attempts == wanted[row.id].attempts
        and row.next_attempt_at == wanted[row.id].lease_until
    }


def _note(delivery: WebhookDelivery, outcome: DeliveryOutcome, now: datetime) -> None:
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    delivery.last_latency_ms = round(outcome.latency_ms, 1)
    delivery.last_error_class = outcome.error_class
    asked = outcome.retry_after
    delivery.last_retry_after_seconds = None if asked is None else math.ceil(asked.total_seconds())
    delivery.updated_at = now


async def _record_failures(
    tenant: Tenant,
    failed: Sequence[tuple[Claim, DeliveryOutcome]],
    *,
    now: datetime,
    rng: random.Random | None,
) -> dict[uuid.UUID, str]:
    """Retry later with backoff, or give up; a failing streak starts, or one five days old
    disables its endpoint. Each endpoint is locked once, in id order."""
    held = await _held(tenant, [claim for claim, _ in failed])
    failing = sorted({claim.endpoint_id for claim, _ in failed if claim.delivery_id in held})
    if not failing:
        return {}
    statement = (
        tenant.select(WebhookEndpoint)
        .where(col(WebhookEndpoint.id).in_(failing))
        .order_by(col(WebhookEndpoint.id))
        .with_for_update()
    )
    endpoints = {row.id: row for row in (await tenant.db.execute(statement)).scalars()}
    for claim, outcome in failed:
        delivery = held.get(claim.delivery_id)
        if delivery is None:
            continue
        _note(delivery, outcome, now)
        endpoint = endpoints[claim.endpoint_id]
        if outcome.gone:  # the receiver wants no more (Standard Webhooks: disable the endpoint)
            delivery.status, delivery.next_attempt_at = "failed", None
            if endpoint.status == "active":
                await _disable(tenant, endpoint, now, "gone")
            continue
        delivery.next_attempt_at = next_attempt_at(
            delivery.attempts,
            now=now,
            created_at=delivery.created_at,
            asked=outcome.retry_after,
            rng=rng,
        )
        if delivery.next_attempt_at is None:
            delivery.status = "failed"
        if endpoint.failing_since is None:
            endpoint.failing_since = now
        elif endpoint.status == "active" and now - endpoint.failing_since >= DISABLE_AFTER:
            await _disable(tenant, endpoint, now, "failing")
    await tenant.db.flush()
    return {delivery.id: delivery.status for delivery in held.values()}


async def _end_streaks(tenant: Tenant, endpoint_ids: set[uuid.UUID]) -> None:
    """A success ends its endpoint's failing streak (a row is written, and locked, only when
    it has one)."""
    streak = columns(WebhookEndpoint)
    await tenant.db.execute(
        tenant.update(WebhookEndpoint)
        .where(streak.id.in_(endpoint_ids), streak.failing_since.is_not(None))
        .values(failing_since=None)
    )


async def _disable(tenant: Tenant, endpoint: WebhookEndpoint, now: datetime, reason: str) -> None:
    endpoint.status, endpoint.disabled_reason = "disabled", reason
    endpoint.version += 1
    endpoint.updated_at = now
    changed = ["disabled_reason", "status"]
    record_change_event(
        tenant, "webhook_endpoint", endpoint.id, "disabled", changed, version=endpoint.version
    )
