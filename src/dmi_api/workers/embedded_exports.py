"""On the embedded SQLite default, `dmi-api serve` runs bulk exports itself, one at a time (the
same `ExportRun` as PostgreSQL's `bulk_export` jobs: each claimed by one of the server's worker
processes), queues again those whose process ended mid-export, and removes expired ones."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker
from dmi_api.services import bulk_exports
from dmi_api.services.export_runner import ExportRun, claim_queued
from dmi_api.workers.polling import Loop, poll
from dmi_api.workers.stopping import unless_stopped

POLL_SECONDS = 0.5
LOOP = Loop(
    POLL_SECONDS, timedelta(minutes=10), logging.getLogger("dmi_api.exports"), "export round failed"
)


async def run_embedded_exports(
    sessionmaker: DbSessionMaker, settings: Settings, stop: asyncio.Event
) -> None:
    """Run queued exports every `POLL_SECONDS` and prune expired ones, until `stop` (which
    also ends the export running then)."""

    async def export() -> None:
        async with sessionmaker() as db:
            queued = await bulk_exports.queued_embedded(db)
        for clinic_id, export_id in queued:
            # Each `serve` worker polls: the one that claims an export runs it.
            if not await claim_queued(sessionmaker, clinic_id, export_id):
                continue
            run = ExportRun(sessionmaker, settings, clinic_id, export_id)
            # The server stopping does not wait for it: still `running`, it is queued again by
            # the upkeep once it has not moved for `STALLED_AFTER`, and starts over.
            if not await unless_stopped(run.run(), stop):
                return

    async def prune() -> None:
        async with sessionmaker() as db, db.begin():
            await bulk_exports.requeue_stalled(db)
            await bulk_exports.prune(db, settings)

    await poll(export, prune, LOOP, stop)
