"""On the embedded SQLite default, `dmi-api serve` delivers webhooks itself: the same dispatch,
delivery and signing (`workers.attempts.WebhookWork`); only the claiming differs: this loop
polls the tables, where PostgreSQL's workers are woken by pgqueuer's jobs. A round never waits
for a clinic's calls: each clinic dispatches in a task of its own and due deliveries are
offered to the work, so a clinic whose receiver hangs delays no other clinic's events."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from dmi_api.auth import throttle
from dmi_api.models.columns import utcnow
from dmi_api.services import idempotency, webhook_upkeep
from dmi_api.workers.attempts import WebhookWork
from dmi_api.workers.polling import Loop, poll

POLL_SECONDS = 0.25
LOOP = Loop(
    POLL_SECONDS, timedelta(hours=24), logging.getLogger("dmi_api.webhooks"), "webhook round failed"
)
# Clinics dispatching at once (each holds one database session at a time, beside the requests').
DISPATCHES_AT_ONCE = 4


async def run_embedded(work: WebhookWork, retention_days: int, stop: asyncio.Event) -> None:
    """Dispatch and deliver what is due every `POLL_SECONDS`, prune daily, until `stop`; then
    let the calls in flight be recorded (`WebhookWork.settle`)."""
    dispatching: dict[uuid.UUID, asyncio.Task[None]] = {}
    turns = asyncio.Semaphore(DISPATCHES_AT_ONCE)

    async def dispatch(clinic_id: uuid.UUID) -> None:
        try:
            async with turns:
                if not stop.is_set():
                    await work.dispatch(clinic_id)
        except Exception as error:  # logged by its type only: its text can hold values
            LOOP.logger.warning(LOOP.failed, extra={"exc_type": type(error).__name__})
        finally:
            del dispatching[clinic_id]

    async def deliver() -> None:
        async with work.sessionmaker() as db:
            clinics, due = await webhook_upkeep.due_work(
                db, utcnow(), per_clinic=work.clinic_calls.per_clinic
            )
        for clinic_id in clinics:
            if clinic_id not in dispatching:  # one dispatch of a clinic at a time
                dispatching[clinic_id] = asyncio.create_task(dispatch(clinic_id))
        for clinic_id, delivery_id in due:
            work.offer(clinic_id, delivery_id)

    async def prune() -> None:
        async with work.sessionmaker() as db, db.begin():
            before = utcnow() - timedelta(days=retention_days)
            await webhook_upkeep.prune_embedded(db, before)
            await throttle.prune(db)
            await idempotency.prune(db)

    try:
        await poll(deliver, prune, LOOP, stop)
    finally:
        work.close()  # the dispatches end after their batch in hand
        await asyncio.gather(*dispatching.values(), return_exceptions=True)
        await work.settle()
