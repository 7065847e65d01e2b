"""A client's rate limit holds across replicas: its quota is counted once, in Redis, whichever
replica and worker a request reaches; and its burst leaves every other client alone."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import httpx

from bench.scale.api import NEW_CONNECTION, Credentials, bearer, token
from bench.scale.checking import Run, Verdict

QUOTA = 60  # units a minute: 60 reads
ASKED = 3 * QUOTA  # GETs sent at once, a third to each replica and a third through HAProxy
POLICY = f'"client";q={QUOTA};w=60'
STATE = re.compile(r'^"client";r=(\d+);t=(\d+)$')


async def _limited_client(run: Run) -> Credentials:
    """A new client of the clinic with its own quota, made through replica A."""
    admin = await run.admin_token(run.cluster.url("a"))
    created = await run.http.post(
        f"{run.cluster.url('a')}/v1/clients",
        json={"name": "burst", "scopes": ["children:read"], "rate_limit_per_minute": QUOTA},
        headers=bearer(admin),
    )
    created.raise_for_status()
    body = created.json()
    return Credentials(body["client_id"], body["client_secret"])


async def rate_limit(run: Run) -> Verdict:
    """`ASKED` GETs at once of a client whose quota is `QUOTA`, spread over A, B and HAProxy
    (each on a new connection, so every worker gets some): exactly `QUOTA` admitted, the rest
    429 with `Retry-After`; meanwhile another client of the same clinic is served."""
    client = await _limited_client(run)
    access_token = await token(run.http, run.cluster.url("b"), client)
    headers = {**bearer(access_token), **NEW_CONNECTION}
    targets = [run.cluster.url("a"), run.cluster.url("b"), run.cluster.lb] * (ASKED // 3)

    async def get(url: str) -> httpx.Response:
        return await run.http.get(f"{url}/v1/children?limit=1", headers=headers)

    responses = await asyncio.gather(*(get(url) for url in targets))
    neighbour = await run.http.get(
        f"{run.cluster.lb}/v1/children?limit=1", headers=bearer(await run.admin_token())
    )
    codes = Counter(r.status_code for r in responses)
    admitted_by = Counter(
        run.name_of(url) for url, r in zip(targets, responses, strict=True) if r.status_code == 200
    )
    refused = [r for r in responses if r.status_code == 429]
    left = [int(m[1]) for r in responses if (m := STATE.match(r.headers.get("ratelimit", "")))]
    via = ", ".join(f"{n} via {name}" for name, n in sorted(admitted_by.items()))
    verdict = Verdict(
        f"{ASKED} GETs at once of a client with a quota of {QUOTA}, a third each to A, B and "
        f"HAProxy → {codes[200]} x 200 ({via}), "
        f"{codes[429]} x 429; least RateLimit remaining seen {min(left, default=-1)}; another "
        f"client meanwhile: {neighbour.status_code}"
    )
    verdict.expect(codes[200] == QUOTA, f"{codes[200]} admitted, the quota is {QUOTA}")
    verdict.expect(codes[429] == ASKED - QUOTA, f"answers other than 200/429: {codes}")
    verdict.expect(len(admitted_by) == 3, f"admitted through only {sorted(admitted_by)}")
    verdict.expect(
        all(r.headers.get("retry-after", "").isdigit() for r in refused), "a 429 lacks Retry-After"
    )
    verdict.expect(
        all(r.headers.get("ratelimit-policy") == POLICY for r in responses),
        f"an answer without RateLimit-Policy {POLICY}",
    )
    verdict.expect(len(left) == ASKED, "an answer without RateLimit")
    verdict.expect(neighbour.status_code == 200, "another client of the clinic was throttled")
    return verdict
