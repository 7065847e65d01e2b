"""On the embedded SQLite default, `dmi-api serve` announces what fell due itself (the same
`due_notices.announce_all` as PostgreSQL's hourly `assessment_due` job), every few minutes."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from dmi_api.db import DbSessionMaker
from dmi_api.services import due_notices
from dmi_api.workers.polling import Loop, poll

POLL_SECONDS = 300.0
LOOP = Loop(POLL_SECONDS, timedelta(days=1), logging.getLogger("dmi_api.due"), "due round failed")


async def run_embedded_due(sessionmaker: DbSessionMaker, stop: asyncio.Event) -> None:
    """Announce what fell due every `POLL_SECONDS`, until `stop`."""

    async def announce() -> None:
        await due_notices.announce_all(sessionmaker)

    async def nothing() -> None:
        return None

    await poll(announce, nothing, LOOP, stop)
