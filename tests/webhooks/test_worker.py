"""`dmi-api worker` (pgqueuer) end to end on committed rows: woken at commit by NOTIFY, a change
event becomes a signed delivery, a worker killed mid-delivery loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from dmi_api.config import Settings
from dmi_api.db import create_sessionmaker
from dmi_api.direct.export_rows import SnapshotRows
from dmi_api.models.columns import utcnow
from dmi_api.services import bulk_exports, export_runner
from dmi_api.services.bulk_exports import STALLED_AFTER
from dmi_api.workers import queue
from dmi_api.workers.queue import run_worker
from tests.webhooks.committed import Committed
from tests.webhooks.receiver import Receiver, until

pytestmark = pytest.mark.postgres_only


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[None]:
    """A worker running in this process until the test ends."""
    stop = asyncio.Event()
    own = settings.model_copy(update={"webhook_allow_loopback": True})
    task = asyncio.create_task(run_worker(own, concurrency=4, stop=stop))
    await asyncio.sleep(1.0)  # listening
    yield
    stop.set()
    await asyncio.wait_for(task, 30)


async def test_a_committed_delivery_is_attempted_at_once(
    committed: Committed, worker: None, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(f"http://127.0.0.1:{receiver.port}/ok")
    latencies = []
    for n in range(5):
        await committed.delivery(endpoint)  # committed on return
        latencies.append(await until(lambda: len(receiver.requests) > n, 5))  # noqa: B023
    print(f"commit-to-first-attempt (delivery row) seconds: {sorted(latencies)}")
    assert sorted(latencies)[2] < 2.0


async def test_a_change_event_becomes_a_signed_delivery(
    committed: Committed, worker: None, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(
        f"http://127.0.0.1:{receiver.port}/ok", event_types=("child.*",)
    )
    other_type, child = uuid.uuid4(), uuid.uuid4()
    for event_type, resource in (("practitioner.created", other_type), ("child.created", child)):
        await committed.event(endpoint.clinic_id, event_type=event_type, resource_id=resource)
    latency = await until(lambda: len(receiver.requests) >= 1, 10)
    print(f"commit-to-first-attempt (change event, via dispatch) seconds: {latency:.3f}")
    assert latency < 2.0
    await asyncio.sleep(0.3)
    [seen] = receiver.requests  # the practitioner's event is not subscribed
    body = Webhook(endpoint.secret).verify(seen.body, seen.headers)
    assert body["type"] == "child.created"
    assert body["resource"] == {
        "type": "child",
        "id": str(child),
        "version": 1,
        "path": f"/v1/children/{child}",
    }
    [position] = await committed.sql(
        "SELECT seq FROM webhook_dispatch WHERE clinic_id = :c", c=endpoint.clinic_id
    )
    assert position.seq > 0


def _worker_process(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DMI_DATABASE_URL": settings.database_url_value,
        "DMI_WEBHOOK_ALLOW_LOOPBACK": "true",
        # A lease of 3 + 5 s: the killed worker's claims are taken over sooner.
        "DMI_WEBHOOK_TIMEOUT_SECONDS": "3",
        "DMI_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    cli = Path(sys.executable).parent / "dmi-api"
    return subprocess.Popen([str(cli), "worker", "--concurrency", "2"], env=env)


async def test_a_worker_killed_mid_delivery_loses_nothing(
    committed: Committed, settings: Settings, receiver: Receiver
) -> None:
    """Two attempts in flight when the worker dies: one by a job (a due delivery row) and one by
    the dispatcher that made its delivery (a change event). Each is attempted again once its
    lease has run out, and recorded once."""
    endpoint = await committed.endpoint(f"http://127.0.0.1:{receiver.port}/slow")
    first = _worker_process(settings)
    second: subprocess.Popen[bytes] | None = None
    try:
        await asyncio.sleep(2.0)
        await committed.delivery(endpoint)
        await committed.event(endpoint.clinic_id)
        await until(lambda: len(receiver.requests) >= 2, 10)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        receiver.release.set()  # the killed worker's calls end unrecorded
        second = _worker_process(settings)
        # Attempted again once the claims' leases (timeout + 5 s, 8 s here) have run out.
        await until(lambda: len(receiver.requests) >= 4, 40)
        for _ in range(100):
            rows = await committed.sql(
                "SELECT event_id, status, attempts FROM webhook_delivery WHERE clinic_id = :c",
                c=endpoint.clinic_id,
            )
            if all(row.status != "pending" for row in rows):
                break
            await asyncio.sleep(0.1)
        assert [(row.status, row.attempts) for row in rows] == [("succeeded", 1)] * 2
        ids = sorted(seen.headers["webhook-id"] for seen in receiver.requests)
        assert ids == sorted(2 * [str(row.event_id) for row in rows])
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)


class _HeldReader:
    """The worker's reader (`SnapshotRows`), each export held at its first read until the test
    lets them go: exports that run as long as the test needs."""

    def __init__(self) -> None:
        self.held = 0
        self.release = asyncio.Event()

    def __call__(self, settings: Settings) -> Callable[..., AsyncIterator[list[Any]]]:
        reader = SnapshotRows(settings)

        async def rows(*args: Any) -> AsyncIterator[list[Any]]:
            self.held += 1
            await self.release.wait()
            async for chunk in reader(*args):
                yield chunk

        return rows


async def test_exports_past_the_workers_limit_wait_their_turn(
    committed: Committed, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four exports queued at once, a worker that runs two at a time: two run while the others
    stay queued (not failed for want of a connection, past the pool's timeout), and all four
    complete once the first end."""
    held = _HeldReader()
    monkeypatch.setattr(queue, "SnapshotRows", held)
    own = settings.model_copy(update={"export_dir": str(tmp_path), "export_concurrency": 2})
    for _ in range(4):
        await committed.export(await committed.clinic())
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(own, concurrency=10, stop=stop))
    try:
        await until(lambda: held.held == 2, 10)
        await asyncio.sleep(own.db_pool_timeout_seconds + 1.0)
        assert held.held == 2
        assert await committed.export_statuses() == ["queued", "queued", "running", "running"]
        held.release.set()
        for _ in range(300):
            if await committed.export_statuses() == ["completed"] * 4:
                break
            await asyncio.sleep(0.1)
        assert await committed.export_statuses() == ["completed"] * 4
        assert held.held == 4
    finally:
        held.release.set()
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_an_export_whose_row_was_out_of_reach_runs_again(
    committed: Committed, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database does not answer the export's first two reads of its row (a restart): the
    worker runs it again from the start, and it completes."""
    flaky = await _flaky_export(
        committed, settings, tmp_path, monkeypatch, refusals=2, pauses=(0.1, 0.1, 0.1)
    )
    try:
        for _ in range(200):
            if await committed.export_statuses() == ["completed"]:
                break
            await asyncio.sleep(0.1)
        assert await committed.export_statuses() == ["completed"]
        assert flaky.refused == [flaky.export_id] * 2
    finally:
        await flaky.stopped()


@dataclass
class _FlakyExport:
    """A queued export whose row the database refuses at first, and a worker running it."""

    refused: list[uuid.UUID]  # the export ids of the refused reads, in order
    clinic_id: uuid.UUID
    export_id: uuid.UUID
    stop: asyncio.Event
    worker: asyncio.Task[None]

    @property
    def ids(self) -> tuple[uuid.UUID, uuid.UUID]:
        return self.clinic_id, self.export_id

    async def stopped(self) -> float:
        """Stop the worker: the seconds it took."""
        self.stop.set()
        started = time.perf_counter()
        await asyncio.wait_for(self.worker, 30)
        return time.perf_counter() - started


async def _flaky_export(
    committed: Committed,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    refusals: int,
    pauses: tuple[float, ...],
) -> _FlakyExport:
    refused: list[uuid.UUID] = []
    monkeypatch.setattr(export_runner, "_state", _refusing(refused, refusals))
    monkeypatch.setattr(queue, "EXPORT_RETRY_PAUSES", pauses)
    own = settings.model_copy(update={"export_dir": str(tmp_path)})
    clinic_id = await committed.clinic()
    export_id = await committed.export(clinic_id)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(own, concurrency=2, stop=stop))
    return _FlakyExport(refused, clinic_id, export_id, stop, worker)


def _refusing(refused: list[uuid.UUID], times: int) -> Callable[..., Any]:
    """`export_runner._state` refused (the database out of reach) its first `times` calls."""
    state = export_runner._state

    async def flaky(*args: Any) -> Any:
        if len(refused) < times:
            refused.append(args[2])
            raise OperationalError("SELECT", None, ConnectionRefusedError())
        return await state(*args)

    return flaky


async def _export_job(committed: Committed, clinic_id: uuid.UUID, export_id: uuid.UUID) -> Any:
    rows = await committed.sql(
        "SELECT status, attempts, execute_after - now() AS wait FROM pgqueuer"
        " WHERE payload = convert_to(:p, 'UTF8')",
        p=f"{clinic_id} {export_id}",
    )
    return rows[0] if rows else None


async def test_a_stopping_worker_does_not_wait_out_an_exports_pause(
    committed: Committed, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export's row out of reach: its job is queued again for after the pause (any worker
    may take it then), instead of a worker holding it, and its stop, for the pause."""
    flaky = await _flaky_export(
        committed, settings, tmp_path, monkeypatch, refusals=1, pauses=(60.0, 60.0, 60.0)
    )
    try:
        for _ in range(100):
            job = await _export_job(committed, *flaky.ids)
            if flaky.refused and job is not None and job.attempts == 1:
                break
            await asyncio.sleep(0.1)
        assert job is not None
        assert (job.status, job.attempts) == ("queued", 1)
        assert timedelta(seconds=50) < job.wait <= timedelta(seconds=60)
    finally:
        took = await flaky.stopped()
    assert took < 10
    assert await committed.export_statuses() == ["queued"]


async def test_an_export_out_of_reach_past_its_retries_leaves_its_job(
    committed: Committed, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused at every run: one run and one per pause, then the job fails (the row is queued
    again by the upkeep once it has not moved for `STALLED_AFTER`: the next test)."""
    flaky = await _flaky_export(
        committed, settings, tmp_path, monkeypatch, refusals=100, pauses=(0.1, 0.1)
    )
    try:
        for _ in range(200):
            if len(flaky.refused) == 3 and await _export_job(committed, *flaky.ids) is None:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # no fourth run
        assert flaky.refused == [flaky.export_id] * 3
        assert await _export_job(committed, *flaky.ids) is None
    finally:
        await flaky.stopped()


async def test_an_export_left_without_a_job_is_queued_again(
    committed: Committed, settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    """Its job gave up (the database out of reach): once its row has not moved for
    `STALLED_AFTER`, the upkeep (as the app role) queues it again with a job, and it runs. An
    export that still has its job, or moved recently, is left alone."""
    stale = utcnow() - STALLED_AFTER - timedelta(seconds=5)
    orphan, recent, held = [await committed.clinic() for _ in range(3)]
    ids = {clinic: await committed.export(clinic) for clinic in (orphan, recent, held)}
    for clinic in (orphan, recent):  # their jobs gone
        await committed.sql(
            "DELETE FROM pgqueuer WHERE payload = convert_to(:p, 'UTF8')",
            p=f"{clinic} {ids[clinic]}",
        )
    for clinic in (orphan, held):
        await committed.sql(
            "UPDATE bulk_export SET status = 'running', updated_at = :t WHERE clinic_id = :c",
            c=clinic,
            t=stale,
        )
    async with create_sessionmaker(engine)() as db, db.begin():
        assert await bulk_exports.requeue_stalled(db) == 1
    jobs = await committed.sql(
        "SELECT convert_from(payload, 'UTF8') AS p FROM pgqueuer WHERE entrypoint = 'bulk_export'"
        " AND convert_from(payload, 'UTF8') = ANY(:p)",
        p=[f"{clinic} {export_id}" for clinic, export_id in ids.items()],
    )
    assert sorted(row.p for row in jobs) == sorted(f"{c} {ids[c]}" for c in (orphan, held))
    assert await committed.export_statuses() == ["queued", "queued", "running"]
    own = settings.model_copy(update={"export_dir": str(tmp_path)})
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(own, concurrency=2, stop=stop))
    try:
        for _ in range(200):
            if (await committed.export_statuses()).count("completed") == 2:
                break
            await asyncio.sleep(0.1)
        assert await committed.export_statuses() == ["completed", "completed", "queued"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_the_worker_refuses_sqlite(tmp_path: Path) -> None:
    sqlite = Settings(database_url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        await run_worker(sqlite)
