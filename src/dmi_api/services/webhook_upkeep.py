"""Upkeep across every clinic (PostgreSQL functions owned by the migrations, SECURITY DEFINER):
the sweep that re-enqueues work no job covers, and pruning past the retention."""

from __future__ import annotations

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
