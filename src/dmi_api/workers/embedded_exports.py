"""On the embedded SQLite default, `dmi-api serve` runs bulk exports itself, one at a time (the
same `ExportRun` as PostgreSQL's `bulk_export` jobs), and removes expired ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker
from dmi_api.models.columns import utcnow
from dmi_api.services import bulk_exports
from dmi_api.services.export_runner import ExportRun

logger = logging.getLogger("dmi_api.exports")
POLL_SECONDS = 0.5
PRUNE_EVERY = timedelta(minutes=10)


async def run_embedded_exports(
    sessionmaker: DbSessionMaker, settings: Settings, stop: asyncio.Event
) -> None:
    """Run queued exports every `POLL_SECONDS` and prune expired ones, until `stop`."""
    pruned_at: datetime | None = None
    while not stop.is_set():
        try:
            async with sessionmaker() as db:
                queued = await bulk_exports.queued_embedded(db)
            for clinic_id, export_id in queued:
                await ExportRun(sessionmaker, settings, clinic_id, export_id).run()
            if pruned_at is None or utcnow() - pruned_at > PRUNE_EVERY:
                async with sessionmaker() as db, db.begin():
                    await bulk_exports.prune(db, settings)
                pruned_at = utcnow()
        except Exception as error:
            # Types only: an exception's text can hold values.
            logger.warning("export round failed", extra={"exc_type": type(error).__name__})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_SECONDS)
