"""`dmi-api worker` stopped by SIGTERM (every deploy) or SIGINT (Ctrl-C), as a process of its
own: it claims nothing more at once, lets the deliveries in flight finish and records them,
hands its running exports back to the queue for another worker, and exits 0."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from dmi_api.cli import GRACEFUL_SHUTDOWN_SECONDS
from dmi_api.config import Settings
from dmi_api.services.webhook_dispatch import BATCH
from dmi_api.workers.attempts import WebhookWork
from dmi_api.workers.queue import run_worker
from tests.webhooks.committed import Committed
from tests.webhooks.receiver import Receiver, until

ROOT = Path(__file__).resolve().parents[2]


def _worker(settings: Settings, export_dir: Path, *, held: bool = False) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DMI_DATABASE_URL": settings.database_url_value,
        "DMI_WEBHOOK_ALLOW_LOOPBACK": "true",
        "DMI_WEBHOOK_TIMEOUT_SECONDS": "8",
        "DMI_SECRET_KEY": settings.secret_key.get_secret_value(),
        "DMI_EXPORT_DIR": str(export_dir),
        "DMI_WORKER_NICE": "0",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    main = "tests.webhooks.held_worker" if held else "dmi_api.cli"
    command = [sys.executable, "-m", main, *([] if held else ["worker"]), "--concurrency", "2"]
    return subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE)


def _log(stderr: bytes) -> list[dict[str, Any]]:
    lines = [line for line in stderr.decode().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


async def _exited(process: subprocess.Popen[bytes], within: float) -> tuple[int, bytes, float]:
    """The exit code, the standard error and the seconds it took to exit."""
    started = time.perf_counter()
    _, stderr = await asyncio.to_thread(process.communicate, timeout=within)
    return process.returncode, stderr, time.perf_counter() - started


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.communicate(timeout=10)


@pytest.mark.postgres_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_stopped_worker_finishes_its_delivery_in_flight_and_claims_nothing_more(
    committed: Committed,
    settings: Settings,
    receiver: Receiver,
    tmp_path: Path,
    signum: signal.Signals,
) -> None:
    """The signal arrives while a call hangs at the receiver: a delivery committed after it is
    not claimed; the call's answer (2 s later) is recorded, once, and the worker exits 0."""
    endpoint = await committed.endpoint(f"http://127.0.0.1:{receiver.port}/slow")
    worker = _worker(settings, tmp_path)
    try:
        await asyncio.sleep(2.5)  # listening
        in_flight = await committed.delivery(endpoint)
        await until(lambda: len(receiver.requests) == 1, 10)
        worker.send_signal(signum)
        await asyncio.sleep(0.5)
        later = await committed.delivery(endpoint)
        await asyncio.sleep(1.5)
        receiver.release.set()
        code, stderr, took = await _exited(worker, 20)
    finally:
        _stop(worker)
    assert code == 0, stderr.decode()[-2000:]
    assert took < 10
    row = await committed.delivery_row(in_flight)
    assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 1, 200)
    row = await committed.delivery_row(later)
    assert (row.status, row.attempts) == ("pending", 0)  # for the next worker
    assert len(receiver.requests) == 1
    stopping = [entry for entry in _log(stderr) if "stop" in entry["message"]]
    assert len(stopping) == 1, stopping
    assert not [entry for entry in _log(stderr) if entry["level"] in ("ERROR", "CRITICAL")]


@pytest.mark.postgres_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_stopped_worker_hands_its_running_export_back(
    committed: Committed, settings: Settings, tmp_path: Path, signum: signal.Signals
) -> None:
    """An export runs (held at its first read, `held_worker`) when the signal arrives: the
    worker does not wait for it, it exits 0 at once, and the export's job is queued again, due
    now: another worker runs it to completion without waiting for the dead job's heartbeat to
    go stale."""
    export_dir = tmp_path / "exports"
    clinic_id = await committed.clinic()
    export_id = await committed.export(clinic_id)
    first = _worker(settings, export_dir, held=True)
    second: subprocess.Popen[bytes] | None = None
    try:
        for _ in range(200):
            if await committed.export_statuses() == ["running"]:
                break
            await asyncio.sleep(0.05)
        assert await committed.export_statuses() == ["running"]
        await asyncio.sleep(0.5)  # at its first read
        first.send_signal(signum)
        code, stderr, took = await _exited(first, 20)
        assert code == 0, stderr.decode()[-2000:]
        assert took < 5
        log = _log(stderr)
        assert [entry["level"] for entry in log if "stop" in entry["message"]] == ["INFO"]
        assert not [entry for entry in log if entry["level"] in ("ERROR", "CRITICAL")], log
        [job] = await committed.sql(
            "SELECT status, execute_after <= now() AS due FROM pgqueuer"
            " WHERE payload = convert_to(:p, 'UTF8')",
            p=f"{clinic_id} {export_id}",
        )
        assert (job.status, job.due) == ("queued", True)
        second = _worker(settings, export_dir)
        for _ in range(150):
            if await committed.export_statuses() == ["completed"]:
                break
            await asyncio.sleep(0.1)
        assert await committed.export_statuses() == ["completed"]
    finally:
        _stop(first)
        if second is not None:
            second.send_signal(signal.SIGTERM)
            await _exited(second, 30)


def test_a_worker_container_may_finish_its_calls_when_stopped() -> None:
    """`docker compose stop` (every deploy) sends SIGTERM, then SIGKILL after the service's
    grace period (10 s by default): it must outlast the worker's own wait for its calls in
    flight (`GRACEFUL_SHUTDOWN_SECONDS`), or those calls die unrecorded."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    worker = compose["services"]["worker"]
    grace = re.fullmatch(r"(\d+)s", str(worker.get("stop_grace_period", "10s")))
    assert grace is not None
    assert int(grace[1]) > GRACEFUL_SHUTDOWN_SECONDS


@pytest.mark.postgres_only
@pytest.mark.parametrize("made_by", ["job", "dispatcher"])
async def test_a_call_outlasting_the_grace_period_is_left_to_its_lease(
    committed: Committed, settings: Settings, receiver: Receiver, made_by: str
) -> None:
    """The receiver still hangs when the grace period ends, the call made by a delivery job
    (in the background) or by the dispatcher's job itself: the worker stops anyway, without an
    error, and the delivery, unrecorded, stays claimed until its lease ends (then another
    worker attempts it: at least once)."""
    own = settings.model_copy(update={"webhook_allow_loopback": True})
    endpoint = await committed.endpoint(f"http://127.0.0.1:{receiver.port}/slow")
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(own, concurrency=2, stop=stop, grace_seconds=1.0))
    try:
        await asyncio.sleep(1.0)  # listening
        if made_by == "job":
            await committed.delivery(endpoint)
        else:
            await committed.event(endpoint.clinic_id)
        await until(lambda: len(receiver.requests) == 1, 20)
        stop.set()
        started = time.perf_counter()
        await asyncio.wait_for(worker, 10)
        took = time.perf_counter() - started
    finally:
        receiver.release.set()
        stop.set()
    assert took < 3
    [row] = await committed.sql(
        "SELECT status, attempts, next_attempt_at > now() AS leased FROM webhook_delivery"
        " WHERE clinic_id = :c",
        c=endpoint.clinic_id,
    )
    assert (row.status, row.attempts, row.leased) == ("pending", 0, True)


def test_the_workers_help_says_what_it_does() -> None:
    """`dmi-api worker --help`: `--concurrency 1` runs two jobs at once (pgqueuer takes a batch
    while one runs), the webhook calls are not counted in it, and SIGTERM stops it gently."""
    help_text = " ".join(
        subprocess.run(
            [sys.executable, "-m", "dmi_api.cli", "worker", "--help"],
            capture_output=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        .stdout.decode()
        .split()
    )
    assert "at least 2" in help_text
    assert "DMI_EXPORT_CONCURRENCY" in help_text
    assert "SIGTERM" in help_text


@pytest.mark.postgres_only
async def test_a_stopping_worker_leaves_the_rest_of_a_clinics_events_to_another(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    """The worker begins to stop while it dispatches a clinic's backlog: the batch in hand is
    made and attempted, the rest is left for another worker's dispatch (True: the queue's
    entrypoint queues the job again) instead of holding the stop batch after batch."""
    endpoint = await committed.endpoint(f"http://127.0.0.1:{receiver.port}/ok")
    await committed.events(endpoint.clinic_id, BATCH + 20)
    await committed.settled()
    dispatching = asyncio.create_task(work.dispatch(endpoint.clinic_id))
    await until(lambda: len(receiver.requests) >= 1, 20)
    work.close()
    assert await asyncio.wait_for(dispatching, 30)
    [made] = await committed.sql(
        "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'succeeded') AS done,"
        " count(*) FILTER (WHERE status = 'pending') AS due"
        " FROM webhook_delivery WHERE clinic_id = :c",
        c=endpoint.clinic_id,
    )
    # The batch in hand, and no more, was made. Its calls were made, or (on a host so busy that
    # a call's whole timeout no longer fitted in its lease: 15 of 500 once) released, due again
    # for the worker that takes the clinic over; none is lost.
    assert made.n == BATCH
    assert made.done > 0
    assert made.done + made.due == BATCH
