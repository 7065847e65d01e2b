"""`--webhooks`: POST session records while two `dmi-api worker` processes deliver every
`session_record.created` event to a receiver on loopback (`bench/webhook_receiver.py`).

In one run, in this order:
1. the POST with change events on and no endpoint registered (wrk), its ratio to the baseline;
2. the endpoint registered and the workers started, POSTs at a steady `PACED_RATE` a second for
   `PACED_SECONDS`: commit-to-delivery latency p50/p99 when the workers keep up;
3. the POST under load (wrk) while the workers deliver: its ratio, events delivered per second,
   how long the rest took to drain, commit-to-delivery p50/p99.
The baseline is measured before and after, as in the main run. An event's `occurred_at` is its
transaction's start (PostgreSQL's `now()`), so a latency also holds the POST's own few
milliseconds before its commit: an upper bound of commit-to-delivery.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench import report
from bench.config import REPO_DIR, SECRET_KEY, VENV_BIN, BenchConfig, asyncpg_dsn
from bench.scenarios import BASELINE, SCENARIOS, Inputs, fetch_token, write_inputs
from bench.seed import ensure_seeded
from bench.servers import Server, base_env, start_api, start_baseline, start_server
from bench.wrk import WrkResult, warm_and_measure, wrk_binary
from dmi_api.webhooks.secrets import SecretBox, new_secret

WORKERS = 2
DRAIN_SECONDS = 120.0
PACED_RATE = 20.0  # POSTs a second in the paced phase
PACED_SECONDS = 10.0


async def _endpoint(config: BenchConfig, clinic_id: str, url: str) -> uuid.UUID:
    """Register the receiver for `session_record.created` (as the owner: the seeded client
    predates the webhooks scope)."""
    endpoint_id = uuid.uuid4()
    sealed = SecretBox(SECRET_KEY).seal(new_secret(), endpoint_id)
    conn = await asyncpg.connect(asyncpg_dsn(config.owner_url))
    try:
        await conn.execute(
            "INSERT INTO webhook_endpoint (clinic_id, id, url, event_types, status, secret,"
            " version, created_at, updated_at) VALUES ($1, $2, $3,"
            " '[\"session_record.created\"]'::json, 'active', $4, 1, now(), now())",
            uuid.UUID(clinic_id),
            endpoint_id,
            url,
            sealed,
        )
    finally:
        await conn.close()
    return endpoint_id


async def _remove(config: BenchConfig, clinic_id: str, endpoint_id: uuid.UUID) -> dict[str, int]:
    """Delete the endpoint (and its deliveries); how its deliveries ended, by status and error
    class, before that."""
    conn = await asyncpg.connect(asyncpg_dsn(config.owner_url))
    try:
        rows = await conn.fetch(
            "SELECT status, coalesce(last_error_class, '-') AS error, count(*) AS n"
            " FROM webhook_delivery WHERE clinic_id = $1 AND endpoint_id = $2 GROUP BY 1, 2",
            uuid.UUID(clinic_id),
            endpoint_id,
        )
        await conn.execute(
            "DELETE FROM webhook_endpoint WHERE clinic_id = $1 AND id = $2",
            uuid.UUID(clinic_id),
            endpoint_id,
        )
    finally:
        await conn.close()
    return {f"{row['status']}/{row['error']}": row["n"] for row in rows}


def _workers(config: BenchConfig) -> list[subprocess.Popen[bytes]]:
    env = {
        **base_env(),
        "DMI_DATABASE_URL": config.app_url,
        "DMI_SECRET_KEY": SECRET_KEY,
        "DMI_WEBHOOK_ALLOW_LOOPBACK": "true",
        "DMI_LOG_LEVEL": "WARNING",
    }
    log = (config.state_dir / "logs" / "workers.log").open("ab")
    command = [str(VENV_BIN / "dmi-api"), "worker", "--concurrency", "10"]
    return [
        subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=log, stderr=log)  # noqa: S603
        for _ in range(WORKERS)
    ]


def _seen(receiver: Server) -> list[tuple[float, float]]:
    stats = httpx.get(f"{receiver.base_url}/stats", timeout=10).json()
    return [(float(a), float(o)) for a, o in stats["seen"]]


def _drain(receiver: Server, since: float) -> tuple[list[tuple[float, float]], float]:
    """Wait until no delivery arrived for 10 s (or `DRAIN_SECONDS`); what arrived, and when the
    last one did."""
    deadline, last_count, stable_since = time.time() + DRAIN_SECONDS, -1, time.time()
    seen: list[tuple[float, float]] = []
    while time.time() < deadline:
        seen = [(a, o) for a, o in _seen(receiver) if o >= since]
        if len(seen) != last_count:
            last_count, stable_since = len(seen), time.time()
        elif time.time() - stable_since > 10:
            break
        time.sleep(0.5)
    return seen, max((a for a, _ in seen), default=since)


async def _paced(api: Server, inputs: Inputs) -> tuple[float, float]:
    """POST at `PACED_RATE` a second for `PACED_SECONDS`, each on its own schedule (a slow
    answer does not delay the next); when the phase began and ended."""
    token = (inputs.directory / "token").read_text().strip()
    body = (inputs.directory / "post_session.json").read_bytes()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=api.base_url, headers=headers, timeout=30) as client:

        async def one(at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.time()))
            response = await client.post("/v1/session-records", content=body)
            response.raise_for_status()

        began = time.time()
        count = int(PACED_RATE * PACED_SECONDS)
        await asyncio.gather(*(one(began + n / PACED_RATE) for n in range(count)))
        return began, time.time()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run_webhooks(config: BenchConfig, *, save: bool) -> None:
    """The webhooks scenario, printed and saved."""
    wrk_binary()
    marker = asyncio.run(ensure_seeded(config))
    inputs = asyncio.run(write_inputs(config, marker))
    post = next(s for s in SCENARIOS if s.name == "post_session")
    servers: list[Server] = []
    workers: list[subprocess.Popen[bytes]] = []
    endpoint_id: uuid.UUID | None = None
    outcomes: dict[str, int] = {}
    try:
        receiver = start_server(
            "receiver", ["bench.webhook_receiver:app"], base_env(), replace(config, workers=1)
        )
        servers.append(receiver)
        api = start_api(config)
        servers.append(api)
        baseline = start_baseline(config, marker["clinic_id"])
        servers.append(baseline)
        first_child = (inputs.directory / "children.txt").read_text().split()[0]
        api.wait_ready("/readyz")
        baseline.wait_ready(f"/children/{first_child}")
        receiver.wait_ready("/stats")
        before = warm_and_measure(config, BASELINE.name, baseline.base_url, inputs.env(BASELINE))
        fetch_token(api.base_url, marker, inputs)
        events_only = warm_and_measure(config, post.name, api.base_url, inputs.env(post))
        endpoint_id = asyncio.run(
            _endpoint(config, marker["clinic_id"], f"{receiver.base_url}/hook")
        )
        workers = _workers(config)
        time.sleep(3)  # the workers connect and listen
        paced_from, paced_to = asyncio.run(_paced(api, inputs))
        paced, _ = _drain(receiver, paced_from)
        fetch_token(api.base_url, marker, inputs)
        started = time.time()
        result: WrkResult = warm_and_measure(config, post.name, api.base_url, inputs.env(post))
        ended = time.time()
        seen, last_arrival = _drain(receiver, started)
        after = warm_and_measure(config, BASELINE.name, baseline.base_url, inputs.env(BASELINE))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        for server in servers:
            server.stop()
        if endpoint_id is not None:
            outcomes = asyncio.run(_remove(config, marker["clinic_id"], endpoint_id))
    latencies = [(a - o) * 1000 for a, o in seen]
    paced_latencies = [(a - o) * 1000 for a, o in paced if o < paced_to]
    in_run = [a for a, _ in seen if a <= ended]
    baseline_rps = (before.rps + after.rps) / 2
    row: dict[str, Any] = {
        "post_session_events_only": events_only.as_json(),
        "ratio_events_only": round(events_only.rps / baseline_rps, 3) if baseline_rps else 0.0,
        "paced": {
            "rate": PACED_RATE,
            "seconds": PACED_SECONDS,
            "delivered": len(paced_latencies),
            "latency_ms_p50": round(_percentile(paced_latencies, 0.5), 1),
            "latency_ms_p99": round(_percentile(paced_latencies, 0.99), 1),
        },
        "post_session": result.as_json(),
        "baseline_rps": round(baseline_rps, 1),
        "ratio": round(result.rps / baseline_rps, 3) if baseline_rps else 0.0,
        "events_delivered": len(seen),
        "delivered_per_second_during_run": round(len(in_run) / (ended - started), 1),
        "drained_seconds_after_run": round(max(0.0, last_arrival - ended), 1),
        "latency_ms_p50": round(_percentile(latencies, 0.5), 1),
        "latency_ms_p99": round(_percentile(latencies, 0.99), 1),
        "latency_ms_mean": round(statistics.mean(latencies), 1) if latencies else 0.0,
        "workers": WORKERS,
        "deliveries_by_outcome": outcomes,
    }
    print(
        f"\npost_session with events, no endpoint: {events_only.rps:.0f} req/s, ratio "
        f"{row['ratio_events_only']:.3f}; paced {PACED_RATE:.0f}/s with webhooks: "
        f"{row['paced']['delivered']} delivered, commit-to-delivery p50 "
        f"{row['paced']['latency_ms_p50']} ms, p99 {row['paced']['latency_ms_p99']} ms"
    )
    print(
        f"post_session with webhooks: {result.rps:.0f} req/s, ratio {row['ratio']:.3f} "
        f"(baseline {before.rps:.0f} / {after.rps:.0f}); events delivered {len(seen)}, "
        f"{row['delivered_per_second_during_run']}/s during the run, the rest within "
        f"{row['drained_seconds_after_run']} s; commit-to-delivery p50 {row['latency_ms_p50']} ms, "
        f"p99 {row['latency_ms_p99']} ms; deliveries by status/error: {outcomes}"
    )
    if save:
        path = report.save(
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                **report.commit(),
                "machine": report.machine(asyncio.run(report.postgres_version(config))),
                "config": {k: v for k, v in vars(config).items() if k != "database_url"},
                "webhooks": row,
            }
        )
        print(f"results written to {path}")
    if result.non_2xx or events_only.non_2xx:
        sys.exit(1)
