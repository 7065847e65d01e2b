"""`make scale-check`: start the scale-out, run the checks, print PASS or FAIL per check with
its figures, tear everything down; exit 1 if any check failed (or the cluster did not start)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
import traceback
from datetime import UTC, datetime
from types import FrameType

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench import report
from bench.scale import haproxy
from bench.scale.checking import Check, Run, Verdict
from bench.scale.checks import CHECKS
from bench.scale.cluster import JOB_WORKERS, LOG_DIR, WORKERS_PER_REPLICA, Cluster, running_cluster


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _say(line: str) -> None:
    print(line, flush=True)


async def _judge(check: Check, run: Run) -> Verdict:
    """The check's verdict; an exception is a failure with its message."""
    try:
        return await check.run(run)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return Verdict("did not complete", [f"{type(exc).__name__}: {exc}"])


async def run_checks(cluster: Cluster, chosen: list[Check]) -> list[bool]:
    """Run `chosen` in order, printing each verdict as it comes; whether each passed."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        run = Run(cluster, http)
        passed = []
        for check in chosen:
            started = time.monotonic()
            verdict = await _judge(check, run)
            seconds = time.monotonic() - started
            mark = "PASS" if verdict.passed else "FAIL"
            _say(f"{mark} {check.name} ({seconds:.1f} s): {verdict.summary}")
            for problem in verdict.problems:
                _say(f"     - {problem}")
            passed.append(verdict.passed)
        return passed


async def _postgres_version(owner_dsn: str) -> str:
    conn = await asyncpg.connect(owner_dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def _describe(cluster: Cluster) -> None:
    machine = report.machine(asyncio.run(_postgres_version(cluster.owner_dsn)))
    _say(
        f"machine: {machine['nproc']} cores ({machine['cpu']}), {machine['ram_gb']} GB, kernel "
        f"{machine['kernel']}, Python {machine['python']}, PostgreSQL {machine['postgres']}, "
        f"HAProxy {haproxy.version()}; load average {os.getloadavg()[0]:.1f} (others' work too)"
    )
    replicas = ", ".join(f"{name.upper()} :{s.port}" for name, s in cluster.replicas.items())
    _say(
        f"cluster: 2 replicas x `dmi-api serve --workers {WORKERS_PER_REPLICA}` ({replicas}), "
        f"{JOB_WORKERS} x `dmi-api worker`, HAProxy round robin :{cluster.balancer.port} "
        f"(health checks on /readyz every {haproxy.CHECK_INTERVAL_MS} ms), webhook receiver "
        f":{cluster.receiver.port}; one database, one DMI_EXPORT_DIR"
    )


def _log_summary(cluster: Cluster) -> None:
    """Warnings and errors the processes logged (also when every check passed)."""
    for server in [*cluster.replicas.values(), *cluster.workers]:
        found = server.log_problems()
        _say(f"log of {server.name}: {found['lines']} lines (log level WARNING)")
        for key, count in sorted(found["distinct"].items(), key=lambda kv: -kv[1])[:5]:
            _say(f"  {count} x {key}")


def _parse(argv: list[str] | None) -> list[Check]:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    names = [check.name for check in CHECKS]
    parser.add_argument(
        "--checks", help=f"comma-separated subset, in the usual order (all: {','.join(names)})"
    )
    args = parser.parse_args(argv)
    wanted = args.checks.split(",") if args.checks else names
    unknown = set(wanted) - set(names)
    if unknown:
        parser.error(f"unknown checks: {', '.join(sorted(unknown))}")
    return [check for check in CHECKS if check.name in wanted]


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run, exit 1 on any failure."""
    chosen = _parse(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    commit = report.commit()
    _say(
        f"scale-check {datetime.now(UTC).isoformat(timespec='seconds')}, commit "
        f"{commit['commit']}{' (dirty)' if commit['dirty'] else ''}, logs in {LOG_DIR}"
    )
    passed: list[bool] = []
    try:
        with running_cluster() as cluster:
            _describe(cluster)
            passed = asyncio.run(run_checks(cluster, chosen))
            _log_summary(cluster)
    except Exception:
        traceback.print_exc()
        _say("FAIL the cluster did not start or stop cleanly (above)")
        passed.append(False)
    failed = passed.count(False)
    _say(
        f"{len(chosen)} checks: {passed.count(True)} passed, {failed} failed; "
        f"{time.monotonic() - started:.0f} s in all, teardown included"
    )
    sys.exit(1 if failed or len(passed) < len(chosen) else 0)
