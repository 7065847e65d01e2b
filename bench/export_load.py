"""The export worker's memory on a large clinic, and the API's latency while it runs.

A FHIR `Patient` export of the export clinic (`export_clinic.py`, 1,000,000 children) runs in a
process of its own (`export_worker.py`, the worker's code); its peak resident set (`VmHWM`) is
read at its end. `get_child` is measured alone, during that export, and alone again, each time
saturated (the bench's usual 32 busy connections: with 2 cores, what an export costs there is
mostly its share of the CPU) and paced (half the saturated rate: the latency a client sees when
the API is not at capacity); the latency during the export is compared with the mean of the two
alone.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.config import REPO_DIR, VENV_BIN, BenchConfig, asyncpg_dsn
from bench.export_jobs import create_export, drop_export
from bench.scenarios import SCENARIOS, Inputs, fetch_token, write_inputs
from bench.servers import Server, base_env, start_api
from bench.wrk import WrkResult, warm_and_measure, wrk_binary
from dmi_api.services.export_files import remove

SCENARIO = next(s for s in SCENARIOS if s.name == "get_child")
# Saturated: the bench's usual closed loop (every connection busy); paced: each connection
# pauses between requests so that all of them ask for PACED_SHARE of the saturated rate.
MODES = ("saturated", "paced")
PACED_SHARE = 0.5
QUANTILES = ("p50_ms", "p99_ms")
WORKER_TIMEOUT_SECONDS = 1800.0
# The control's process: as `dmi-api worker` lowers its priority, then only spends CPU.
BUSY_LOOP = """
from dmi_api.config import Settings
from dmi_api.workers.priority import lower_priority
lower_priority(Settings().worker_nice)
while True:
    pass
"""


def _start_worker(
    config: BenchConfig, export_dir: Path, clinic_id: uuid.UUID, export_id: uuid.UUID
) -> subprocess.Popen[str]:
    logs = config.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    command = [
        str(VENV_BIN / "python"),
        "-m",
        "bench.export_worker",
        "--database-url",
        config.app_url,
        "--export-dir",
        str(export_dir),
        "--clinic",
        str(clinic_id),
        "--export",
        str(export_id),
    ]
    with (logs / "export_worker.log").open("ab") as log:  # the worker keeps its own copy
        return subprocess.Popen(  # noqa: S603
            command,
            cwd=REPO_DIR,
            env=base_env(),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,  # a service of its own, as the API's servers are
        )


def _line(stream: IO[str] | None) -> dict[str, Any]:
    text = stream.readline() if stream is not None else ""
    if not text:
        raise RuntimeError("the export worker exited early: see logs/export_worker.log")
    found: dict[str, Any] = json.loads(text)
    return found


@dataclass
class _Load:
    """What the wrk runs need; `delay_ms`: the paced runs' pause, set after the first run."""

    config: BenchConfig
    api: Server
    marker: dict[str, Any]
    inputs: Inputs
    delay_ms: float = 0.0

    def run(self, mode: str, label: str) -> WrkResult:
        fetch_token(self.api.base_url, self.marker, self.inputs)
        env = self.inputs.env(SCENARIO)
        script = SCENARIO.name
        if mode == "paced":
            script, env = f"{script}_paced", {**env, "BENCH_DELAY_MS": f"{self.delay_ms:.0f}"}
        result = warm_and_measure(self.config, script, self.api.base_url, env)
        print(
            f"  {SCENARIO.name} {mode:<9} {label:<13} p50 {result.p50_ms:7.2f} ms  p99 "
            f"{result.p99_ms:7.2f} ms  {result.rps:8.1f} req/s  non-2xx {result.non_2xx}",
            file=sys.stderr,
            flush=True,
        )
        if mode == "saturated" and not self.delay_ms:
            # Each connection waits so long that all of them ask for PACED_SHARE of this rate.
            self.delay_ms = self.config.connections * 1000 / (PACED_SHARE * max(result.rps, 1.0))
        return result

    def both(self, label: str) -> dict[str, WrkResult]:
        return {mode: self.run(mode, label) for mode in MODES}


def _export_during(
    config: BenchConfig,
    measure: Callable[[], dict[str, WrkResult]],
    export_dir: Path,
    clinic_id: uuid.UUID,
) -> tuple[dict[str, WrkResult], dict[str, Any]]:
    """`measure()` while the worker exports; the worker's figures, `overlapped`: whether it was
    still exporting when the measured run ended."""
    owner_dsn = asyncpg_dsn(config.owner_url)
    export_id = asyncio.run(create_export(owner_dsn, clinic_id, "fhir", ["Patient"]))
    worker = _start_worker(config, export_dir, clinic_id, export_id)
    try:
        _line(worker.stdout)  # imported, its engine made: the export starts now
        during = measure()
        overlapped = worker.poll() is None
        print("  waiting for the export to end", file=sys.stderr, flush=True)
        figures = _line(worker.stdout)
        worker.wait(timeout=WORKER_TIMEOUT_SECONDS)
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)
        resources = asyncio.run(drop_export(owner_dsn, clinic_id, export_id))
        remove(str(export_dir), clinic_id, export_id)
    seconds = figures["seconds"]
    figures.update(
        resources=resources,
        rate=round(resources / seconds, 1) if seconds else 0.0,
        overlapped=overlapped,
    )
    return during, figures


def _beside_busy_loop(load: _Load) -> WrkResult:
    """The paced run beside the control's busy loop (a session of its own, as the worker)."""
    loop = subprocess.Popen(  # noqa: S603
        [str(VENV_BIN / "python"), "-c", BUSY_LOOP],
        cwd=REPO_DIR,
        env=base_env(),
        start_new_session=True,
    )
    try:
        return load.run("paced", "beside a busy loop")
    finally:
        loop.kill()
        loop.wait()


def _ratio(runs: dict[str, WrkResult], name: str) -> dict[str, float]:
    """`name`'s p50 and p99 over the mean of the runs alone."""
    alone = {q: (getattr(runs["alone"], q) + getattr(runs["after"], q)) / 2 for q in QUANTILES}
    return {
        f"{q[:3]}_ratio": round(getattr(runs[name], q) / alone[q], 3) if alone[q] else 0.0
        for q in QUANTILES
    }


def _ratios(runs: dict[str, WrkResult]) -> dict[str, Any]:
    control = {"control": _ratio(runs, "busy_loop")} if "busy_loop" in runs else {}
    return {
        "runs": {name: result.as_json() for name, result in runs.items()},
        **_ratio(runs, "during"),
        **control,
    }


def measure(
    config: BenchConfig, marker: dict[str, Any], clinic_id: uuid.UUID, export_dir: Path
) -> dict[str, Any]:
    """The worker's figures, and the scenario's runs (saturated and paced) alone, during the
    export, alone again."""
    wrk_binary()
    inputs = asyncio.run(write_inputs(config, marker))
    api = start_api(config)
    try:
        api.wait_ready("/readyz")
        load = _Load(config, api, marker, inputs)
        before = load.both("alone")
        during, worker = _export_during(
            config, lambda: load.both("during export"), export_dir, clinic_id
        )
        after = load.both("alone again")
        busy_loop = _beside_busy_loop(load)
    finally:
        api.stop()
    runs = {m: {"alone": before[m], "during": during[m], "after": after[m]} for m in MODES}
    runs["paced"]["busy_loop"] = busy_loop
    return {
        "scenario": SCENARIO.name,
        "worker": worker,
        "paced_delay_ms": round(load.delay_ms, 1),
        **{mode: _ratios(runs[mode]) for mode in MODES},
        "non_2xx": sum(r.non_2xx for by_name in runs.values() for r in by_name.values()),
    }
