"""`dmi-api serve` on the embedded SQLite default stopping (SIGTERM, Ctrl-C) while it runs an
export: its export runner ends at once instead of holding the server's shutdown for the whole
export (until a supervisor's SIGKILL); the export, still `running`, is queued again by the
upkeep once it has not moved for `STALLED_AFTER`, and starts over."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from dmi_api.config import Settings
from dmi_api.db import create_engine, create_sessionmaker
from dmi_api.migrate import upgrade_to_head
from dmi_api.services import export_runner
from dmi_api.workers.embedded_exports import run_embedded_exports
from tests.exports.test_embedded_exports import _export, _status

pytestmark = pytest.mark.own_database


async def test_a_stopping_server_does_not_wait_for_its_running_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'embedded.db'}"
    await asyncio.to_thread(upgrade_to_head, url)
    settings = Settings(database_url=SecretStr(url), export_dir=str(tmp_path / "exports"))
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    reading = asyncio.Event()

    async def held(*_args: Any) -> AsyncIterator[list[Any]]:
        reading.set()
        await asyncio.Event().wait()  # an export far longer than the test
        yield []

    monkeypatch.setattr(export_runner, "session_rows", held)
    ids = await _export(sessionmaker)
    stop = asyncio.Event()
    runner = asyncio.create_task(run_embedded_exports(sessionmaker, settings, stop))
    try:
        await asyncio.wait_for(reading.wait(), 10)
        stop.set()
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.shield(runner), 5)
        took = time.perf_counter() - started
        assert took < 2
        assert (await _status(sessionmaker, ids))[0] == "running"
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await engine.dispose()
