"""The dispatcher: a clinic's change events after its position in the feed become one delivery
per matching active endpoint, and the position moves past them, in one transaction. The new
deliveries are born claimed by the dispatcher (leased like any claim), which attempts them at
once, so a first attempt needs no job of its own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from dmi_api.models import WebhookDelivery, WebhookDispatch, WebhookEndpoint
from dmi_api.models.columns import utcnow
from dmi_api.schemas.events import event_public
from dmi_api.services.events import EventFilter, feed_page
from dmi_api.services.webhook_deliveries import Claim, signing_secrets
from dmi_api.tenant_scope import Tenant
from dmi_api.webhooks.secrets import SecretBox

BATCH = 500  # events turned into deliveries per transaction


def subscribed(event_types: Sequence[str], event_type: str) -> bool:
    """Whether an endpoint's `event_types` (exact types, or `prefix.*`) take this event."""
    return any(
        wanted == event_type or (wanted.endswith(".*") and event_type.startswith(wanted[:-1]))
        for wanted in event_types
    )


def _insert(tenant: Tenant, model: Any) -> postgresql.Insert | sqlite.Insert:
    """INSERT ... with the backend's ON CONFLICT (both spell it the same)."""
    if tenant.db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


@dataclass(frozen=True)
class Dispatched:
    """What a dispatch batch did: events read (`BATCH`: there may be more; 0 also when another
    dispatcher of the clinic is at work) and the new deliveries, claimed by the caller."""

    read: int
    claims: list[Claim] = field(default_factory=list)


async def dispatch_batch(
    tenant: Tenant, *, box: SecretBox, lease: timedelta, limit: int = BATCH
) -> Dispatched:
    """Turn up to `limit` final events after the clinic's dispatch position into deliveries
    (an event already delivered to an endpoint is skipped; an endpoint gets the events that
    occurred since it was registered), claimed for `lease`, and advance the position."""
    db = tenant.db
    now = utcnow()
    start = _insert(tenant, WebhookDispatch).values(
        clinic_id=tenant.clinic_id, tx=0, seq=0, updated_at=now
    )
    await db.execute(start.on_conflict_do_nothing(index_elements=["clinic_id"]))
    # One dispatcher of the clinic at a time: another one leaves it to the one at work (which
    # looks again before it ends, `workers.attempts.WebhookWork.dispatch`).
    locked = tenant.select(WebhookDispatch).with_for_update(skip_locked=True)
    position = (await db.execute(locked)).scalar_one_or_none()
    if position is None:
        return Dispatched(0)
    endpoints = (
        (
            await db.execute(
                tenant.select(WebhookEndpoint).where(col(WebhookEndpoint.status) == "active")
            )
        )
        .scalars()
        .all()
    )
    since = min((endpoint.created_at for endpoint in endpoints), default=now)
    events = await feed_page(
        tenant,
        filters=EventFilter(occurred_from=since),
        after=(position.tx, position.seq),
        limit=limit,
    )
    if not events:
        return Dispatched(0)
    lease_until = now + lease
    payloads = {event.id: event_public(event).model_dump(mode="json") for event in events}
    wanted = [
        (uuid.uuid4(), endpoint, event)
        for event in events
        for endpoint in endpoints
        if subscribed(endpoint.event_types, event.type) and event.occurred_at >= endpoint.created_at
    ]
    claims: list[Claim] = []
    if wanted:
        rows = [
            {
                "clinic_id": tenant.clinic_id,
                "id": delivery_id,
                "endpoint_id": endpoint.id,
                "event_id": event.id,
                "event_type": event.type,
                "payload": payloads[event.id],
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": lease_until,
                "created_at": now,
                "updated_at": now,
            }
            for delivery_id, endpoint, event in wanted
        ]
        statement = (
            _insert(tenant, WebhookDelivery)
            .on_conflict_do_nothing(index_elements=["clinic_id", "endpoint_id", "event_id"])
            .returning(col(WebhookDelivery.id))
        )
        inserted = set((await db.execute(statement, rows)).scalars())
        secrets = {endpoint.id: signing_secrets(endpoint, box, now) for endpoint in endpoints}
        claims = [
            Claim(
                clinic_id=tenant.clinic_id,
                delivery_id=delivery_id,
                endpoint_id=endpoint.id,
                url=endpoint.url,
                message_id=str(event.id),
                body=orjson.dumps(payloads[event.id]),
                secrets=secrets[endpoint.id],
                attempts=0,
                lease_until=lease_until,
            )
            for delivery_id, endpoint, event in wanted
            if delivery_id in inserted
        ]
    position.tx, position.seq = events[-1].tx or 0, events[-1].seq or 0
    position.updated_at = now
    await db.flush()
    return Dispatched(len(events), claims)


async def running_before(tenant: Tenant) -> int | None:
    """PostgreSQL: a transaction id above every transaction running now (None elsewhere)."""
    if tenant.db.get_bind().dialect.name != "postgresql":
        return None
    statement = text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
    value: int = (await tenant.db.execute(statement)).scalar_one()
    return value


async def all_final_below(tenant: Tenant, xid: int) -> bool:
    """Whether every transaction below `xid` has ended: its events, if any, are readable."""
    statement = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint >= :x")
    done: bool = (await tenant.db.execute(statement, {"x": xid})).scalar_one()
    return done
