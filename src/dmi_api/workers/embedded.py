"""On the embedded SQLite default, `dmi-api serve` delivers webhooks itself: the same dispatch,
delivery and signing (`workers.attempts.WebhookWork`); only the claiming differs: this loop
polls the tables, where PostgreSQL's workers are woken by pgqueuer's jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from dmi_api.models.columns import utcnow
from dmi_api.services import webhook_upkeep
from dmi_api.workers.attempts import WebhookWork

logger = logging.getLogger("dmi_api.webhooks")
POLL_SECONDS = 0.25
PRUNE_EVERY = timedelta(hours=24)


async def run_embedded(work: WebhookWork, retention_days: int, stop: asyncio.Event) -> None:
    """Dispatch and deliver what is due every `POLL_SECONDS`, prune daily, until `stop`."""
    pruned_at: datetime | None = None
    while not stop.is_set():
        try:
            async with work.sessionmaker() as db:
                clinics, due = await webhook_upkeep.due_work(db, utcnow())
            for clinic_id in clinics:
                await work.dispatch(clinic_id)
            for clinic_id, delivery_id in due:
                await work.deliver(clinic_id, delivery_id)
            if pruned_at is None or utcnow() - pruned_at > PRUNE_EVERY:
                async with work.sessionmaker() as db, db.begin():
                    before = utcnow() - timedelta(days=retention_days)
                    await webhook_upkeep.prune_embedded(db, before)
                pruned_at = utcnow()
        except Exception as error:
            # Types only: an exception's text can hold values.
            logger.warning("webhook round failed", extra={"exc_type": type(error).__name__})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_SECONDS)
