"""Upkeep across every clinic: on PostgreSQL the sweep that re-enqueues work no job covers and
pruning past the retention (functions owned by the migrations, SECURITY DEFINER); on SQLite,
where one process serves and delivers, the due work itself and the same pruning."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def sweep(db: AsyncSession) -> int:
    """Enqueue a job for every due pending delivery and every clinic behind in its feed that
    no job covers; how many were enqueued."""
    count: int = (await db.execute(text("SELECT dmi_webhook_sweep()"))).scalar_one()
    return count


async def prune(db: AsyncSession, before: datetime) -> int:
    """Delete change events, finished deliveries and the job log older than `before`."""
    events: int = (
        await db.execute(text("SELECT dmi_prune_change_events(:b)"), {"b": before})
    ).scalar_one()
    rest: int = (
        await db.execute(text("SELECT dmi_prune_webhook_deliveries(:b)"), {"b": before})
    ).scalar_one()
    return events + rest


async def due_work(
    db: AsyncSession, now: datetime, *, per_clinic: int
) -> tuple[list[uuid.UUID], list[tuple[uuid.UUID, uuid.UUID]]]:
    """SQLite: the clinics with an active endpoint (to dispatch) and the due pending
    deliveries (clinic, delivery), oldest first, at most `per_clinic` of a clinic (one with
    many due, its receiver down, does not crowd the others out of the 100)."""
    clinics = await db.execute(
        text("SELECT DISTINCT clinic_id FROM webhook_endpoint WHERE status = 'active'")
    )
    due = await db.execute(
        text(
            "SELECT clinic_id, id FROM ("
            " SELECT clinic_id, id, next_attempt_at, row_number() OVER"
            " (PARTITION BY clinic_id ORDER BY next_attempt_at, id) AS n FROM webhook_delivery"
            " WHERE status = 'pending' AND next_attempt_at <= :now"
            ") AS due WHERE n <= :per_clinic ORDER BY next_attempt_at LIMIT 100"
        ),
        {"now": now, "per_clinic": per_clinic},
    )
    return [_uuid(c) for (c,) in clinics.all()], [(_uuid(c), _uuid(d)) for c, d in due.all()]


async def prune_embedded(db: AsyncSession, before: datetime) -> int:
    """SQLite: what `prune` deletes, without PostgreSQL's functions (and no job log); but the
    newest event stays, however old: the next event's `seq` is the largest kept plus one
    (`models.events`), and an empty table would number the events after it from 1 again,
    behind every position already handed out (the dispatcher's, the feed's cursors)."""
    events = await db.execute(
        text(
            "DELETE FROM change_event WHERE occurred_at < :b"
            " AND seq < (SELECT max(seq) FROM change_event)"
        ),
        {"b": before},
    )
    finished = await db.execute(
        text(
            "DELETE FROM webhook_delivery"
            " WHERE status IN ('succeeded', 'failed') AND updated_at < :b"
        ),
        {"b": before},
    )
    return int(events.rowcount or 0) + int(finished.rowcount or 0)  # type: ignore[attr-defined]


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
