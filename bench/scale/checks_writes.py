"""Writes across replicas: the load balancer spreads them, and one `Idempotency-Key` sent to
both replicas at once makes one row."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench.scale import haproxy
from bench.scale.api import bearer, child_body, statuses
from bench.scale.checking import Run, Verdict

BALANCED_REQUESTS = 40
CONCURRENT_POSTS = 20  # half to each replica
# What the others may answer: a replay of the first, or 409 while the first is not committed.
DOCUMENTED = ("created", "replayed", "409 in progress")


async def balancer(run: Run) -> Verdict:
    """HAProxy sees both replicas healthy and sends each its share of the requests."""
    access_token = await run.admin_token()
    before = haproxy.stats(run.cluster.stats_socket)
    codes = await statuses(
        run.http, run.cluster.lb, ["/v1/children?limit=1"], access_token, BALANCED_REQUESTS
    )
    after = haproxy.stats(run.cluster.stats_socket)
    names = list(run.cluster.replicas)
    share = {name: after[name].requests - before[name].requests for name in names}
    health = ", ".join(f"{name.upper()} {after[name].status}" for name in names)
    verdict = Verdict(
        f"{len(codes)} GETs through HAProxy (round robin) → "
        + ", ".join(f"{share[name]} to {name.upper()}" for name in names)
        + f"; {Counter(codes)[200]} x 200; health checks: {health}"
    )
    verdict.expect(all(code == 200 for code in codes), f"not all 200: {Counter(codes)}")
    verdict.expect(all(after[name].status == "UP" for name in names), "a replica is not UP")
    verdict.expect(
        all(share[name] >= len(codes) // 4 for name in names), "a replica got under a quarter"
    )
    return verdict


async def _rows(run: Run, external_id: str, access_token: str) -> tuple[int, int]:
    """Children with this external id: counted as the tables' owner (behind the API), and
    listed by the API through the load balancer."""
    conn = await asyncpg.connect(run.cluster.owner_dsn)
    try:
        counted: int = await conn.fetchval(
            "SELECT count(*) FROM child WHERE clinic_id = $1 AND external_id = $2",
            uuid.UUID(run.cluster.clinic_id),
            external_id,
        )
    finally:
        await conn.close()
    listed = await run.http.get(
        f"{run.cluster.lb}/v1/children",
        params={"external_id": external_id},
        headers=bearer(access_token),
    )
    return counted, len(listed.json()["data"])


def _kind(response: httpx.Response) -> str:
    if response.status_code == 201:
        replayed = response.headers.get("idempotent-replayed") == "true"
        return "replayed" if replayed else "created"
    if response.status_code == 409:
        return "409 in progress" if "in progress" in response.text else "409 other"
    return str(response.status_code)


def most_in_flight(spans: list[tuple[float, float]]) -> int:
    """The most of these (start, end) intervals open at one moment."""
    moments = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    most = open_now = 0
    for _, change in moments:
        open_now += change
        most = max(most, open_now)
    return most


async def _post_together(
    run: Run, targets: list[str], body: dict[str, object], headers: dict[str, str]
) -> tuple[list[httpx.Response], int]:
    """The same POST to each target at once: the answers, and how many were in flight at once."""
    # Connections opened first, so that the POSTs leave together on them.
    await asyncio.gather(*(run.http.get(f"{url}/healthz") for url in targets))
    spans: list[tuple[float, float]] = []

    async def post(url: str) -> httpx.Response:
        started = time.monotonic()
        response = await run.http.post(f"{url}/v1/children", json=body, headers=headers)
        spans.append((started, time.monotonic()))
        return response

    responses = await asyncio.gather(*(post(url) for url in targets))
    return list(responses), most_in_flight(spans)


async def idempotency(run: Run) -> Verdict:
    """`CONCURRENT_POSTS` POSTs with one key and body, half to each replica, all in flight at
    once: one row, one 201, the rest replays (or the documented 409 while the first runs)."""
    access_token = await run.admin_token()
    body = child_body("idempotency", 1)
    headers = {**bearer(access_token), "Idempotency-Key": f"scale-check-{uuid.uuid4()}"}
    targets = [run.cluster.url("a"), run.cluster.url("b")] * (CONCURRENT_POSTS // 2)
    responses, in_flight = await _post_together(run, targets, body, headers)
    kinds = Counter(_kind(response) for response in responses)
    other = {kind: n for kind, n in kinds.items() if kind not in DOCUMENTED}
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    for row_id in ids:
        run.wrote("children", row_id)
    first = [
        run.name_of(url) for url, r in zip(targets, responses, strict=True) if _kind(r) == "created"
    ]
    counted, listed = await _rows(run, body["external_id"], access_token)
    verdict = Verdict(
        f"{len(responses)} POSTs with one key, half to each replica, {in_flight} in flight at "
        f"once → {counted} row (SQL), {listed} listed by the API; {kinds['created']} x 201 "
        f"(through {', '.join(first) or 'none'}) + {kinds['replayed']} replays + "
        f"{kinds['409 in progress']} x 409 in progress, {len(ids)} id in all; other answers: "
        f"{other or 'none'}"
    )
    verdict.expect(in_flight > len(targets) // 2, f"only {in_flight} POSTs were in flight at once")
    verdict.expect(counted == 1, f"{counted} rows in the table")
    verdict.expect(listed == 1, f"{listed} rows listed by the API")
    verdict.expect(kinds["created"] == 1, f"{kinds['created']} first answers")
    verdict.expect(len(ids) == 1, f"{len(ids)} different ids answered")
    verdict.expect(not other, f"answers neither a replay nor the documented 409: {other}")
    return verdict
