"""The embedded SQLite default's own export runner (`dmi-api serve` polls for queued exports in
every worker process): one process claims an export, an export whose process ended mid-run is
queued again, on a database file of the test's own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker, create_engine, create_sessionmaker
from dmi_api.migrate import upgrade_to_head
from dmi_api.models import BulkExport, Clinic
from dmi_api.models.columns import utcnow
from dmi_api.services.bulk_exports import STALLED_AFTER, requeue_stalled
from dmi_api.services.export_runner import ExportRun, claim_queued
from dmi_api.workers.embedded_exports import run_embedded_exports

pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def embedded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('embedded') / 'exports.db'}"
    upgrade_to_head(url)
    return url


@pytest.fixture
async def two_processes(embedded_url: str) -> AsyncIterator[tuple[DbSessionMaker, ...]]:
    """Two engines on the one file, as two `serve` worker processes have."""
    engines = [create_engine(Settings(database_url=SecretStr(embedded_url))) for _ in range(2)]
    yield tuple(create_sessionmaker(engine) for engine in engines)
    for engine in engines:
        await engine.dispose()


async def _export(
    sessionmaker: DbSessionMaker, status: str = "queued", updated_at: datetime | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    now = utcnow()
    async with sessionmaker() as db, db.begin():
        clinic = Clinic(name="Embedded", created_at=now, updated_at=now)
        db.add(clinic)
        await db.flush()
        row = BulkExport(
            clinic_id=clinic.id,
            client_id=uuid.uuid4(),
            format="fhir",
            level="system",
            types=["Practitioner"],
            request="/fhir/R4/$export",
            status=status,
            progress="3 resources written" if status == "running" else None,
            output=[],
            deleted=[],
            created_at=now,
            updated_at=updated_at or now,
            expires_at=now + timedelta(days=1),
        )
        db.add(row)
    return clinic.id, row.id


async def _status(
    sessionmaker: DbSessionMaker, ids: tuple[uuid.UUID, uuid.UUID]
) -> tuple[str, str | None]:
    async with sessionmaker() as db:
        row = await db.get(BulkExport, ids)
        assert row is not None
        return row.status, row.progress


class TestClaimQueued:
    async def test_one_of_two_processes_claims_it(
        self, two_processes: tuple[DbSessionMaker, ...]
    ) -> None:
        first, second = two_processes
        ids = await _export(first)
        claims = await asyncio.gather(claim_queued(first, *ids), claim_queued(second, *ids))
        assert sorted(claims) == [False, True]
        assert await _status(first, ids) == ("running", "0 resources written")

    @pytest.mark.parametrize("status", ["running", "completed", "cancelled", "failed"])
    async def test_only_a_queued_export_is_claimed(
        self, two_processes: tuple[DbSessionMaker, ...], status: str
    ) -> None:
        ids = await _export(two_processes[0], status)
        assert not await claim_queued(two_processes[1], *ids)
        assert (await _status(two_processes[0], ids))[0] == status

    async def test_the_claimed_export_runs_to_its_end(
        self, two_processes: tuple[DbSessionMaker, ...], embedded_url: str, tmp_path: Path
    ) -> None:
        sessionmaker = two_processes[0]
        ids = await _export(sessionmaker)
        assert await claim_queued(sessionmaker, *ids)
        settings = Settings(database_url=SecretStr(embedded_url), export_dir=str(tmp_path))
        assert await ExportRun(sessionmaker, settings, *ids).run() == "completed"


class TestRequeueStalled:
    async def test_a_running_export_without_progress_is_queued_again(
        self, two_processes: tuple[DbSessionMaker, ...]
    ) -> None:
        sessionmaker = two_processes[0]
        now = utcnow()
        stalled = await _export(sessionmaker, "running", now - STALLED_AFTER - timedelta(seconds=5))
        going = await _export(sessionmaker, "running", now - STALLED_AFTER + timedelta(seconds=30))
        finished = await _export(sessionmaker, "completed", now - timedelta(days=1))
        async with sessionmaker() as db, db.begin():
            assert await requeue_stalled(db, now) == 1
        assert await _status(sessionmaker, stalled) == ("queued", None)
        assert (await _status(sessionmaker, going))[0] == "running"
        assert (await _status(sessionmaker, finished))[0] == "completed"
        assert await claim_queued(two_processes[1], *stalled)  # and runs again from the start


class TestEmbeddedRunner:
    async def test_two_servers_run_a_queued_export_once(
        self,
        two_processes: tuple[DbSessionMaker, ...],
        embedded_url: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        runs: list[uuid.UUID] = []
        run = ExportRun.run

        async def counted(export: ExportRun) -> str:
            runs.append(export.export_id)
            return await run(export)

        monkeypatch.setattr(ExportRun, "run", counted)
        ids = await _export(two_processes[0])
        settings = Settings(database_url=SecretStr(embedded_url), export_dir=str(tmp_path))
        stop = asyncio.Event()
        servers = [run_embedded_exports(each, settings, stop) for each in two_processes]
        tasks = [asyncio.create_task(server) for server in servers]
        try:
            for _ in range(100):
                if (await _status(two_processes[0], ids))[0] == "completed":
                    break
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
        assert (await _status(two_processes[0], ids))[0] == "completed"
        assert runs == [ids[1]]
