"""On the embedded SQLite default, `dmi-api serve` delivers webhooks itself: the same dispatch,
delivery and signing (`workers.attempts.WebhookWork`); only the claiming differs: this loop
polls the tables, where PostgreSQL's workers are woken by pgqueuer's jobs."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from dmi_api.auth import throttle
from dmi_api.models.columns import utcnow
from dmi_api.services import webhook_upkeep
from dmi_api.workers.attempts import WebhookWork
from dmi_api.workers.polling import Loop, poll

POLL_SECONDS = 0.25
LOOP = Loop(
    POLL_SECONDS, timedelta(hours=24), logging.getLogger("dmi_api.webhooks"), "webhook round failed"
)


async def run_embedded(work: WebhookWork, retention_days: int, stop: asyncio.Event) -> None:
    """Dispatch and deliver what is due every `POLL_SECONDS`, prune daily, until `stop`."""

    async def deliver() -> None:
        async with work.sessionmaker() as db:
            clinics, due = await webhook_upkeep.due_work(db, utcnow())
        for clinic_id in clinics:
            await work.dispatch(clinic_id)
        for clinic_id, delivery_id in due:
            await work.deliver(clinic_id, delivery_id)

    async def prune() -> None:
        async with work.sessionmaker() as db, db.begin():
            before = utcnow() - timedelta(days=retention_days)
            await webhook_upkeep.prune_embedded(db, before)
            await throttle.prune(db)

    await poll(deliver, prune, LOOP, stop)
