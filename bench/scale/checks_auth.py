"""Authentication across replicas: the first tokens of a new database come from one key
whichever worker issues them; a client disabled through one replica is refused by the
other at once; a signing key rotated by `dmi-api keys rotate` signs on one replica and verifies
on the other, and the previous key's tokens keep verifying."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import datetime

import asyncpg  # type: ignore[import-untyped]

from bench.config import REPO_DIR, VENV_BIN
from bench.scale.api import NEW_CONNECTION, Credentials, bearer, kid_of, statuses, token
from bench.scale.checking import Run, Verdict
from bench.scale.cluster import SIGNING_KEY_REFRESH_SECONDS, TOKEN_LEEWAY_SECONDS

# A read on the direct path (one statement) and one on the ORM session's path: both check that
# the client is still active, each its own way.
READS = ["/v1/children?limit=1", "/v1/milestones?limit=1"]
PUBLISH_DELAY = SIGNING_KEY_REFRESH_SECONDS + TOKEN_LEEWAY_SECONDS + 1
FIRST_TOKENS_PER_REPLICA = 6
TIMES = 4  # each read this many times per replica, each on a new connection (both workers)


def _which(kid: str, new_kid: str) -> str:
    return "new" if kid == new_kid else "old"


def _tally(codes: list[int]) -> str:
    return ", ".join(f"{count} x {code}" for code, count in sorted(Counter(codes).items()))


async def _signing_keys(owner_dsn: str) -> int:
    conn = await asyncpg.connect(owner_dsn)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM signing_key")
        return count
    finally:
        await conn.close()


async def first_keys(run: Run) -> Verdict:
    """The first tokens of a new database, asked of every worker of both replicas at once: one
    signing key, each token verified by the other replica. Runs first (no key exists yet)."""
    a, b = run.cluster.url("a"), run.cluster.url("b")
    before = await _signing_keys(run.cluster.owner_dsn)
    targets = [a, b] * FIRST_TOKENS_PER_REPLICA
    tokens = await asyncio.gather(*(token(run.http, url, run.cluster.admin) for url in targets))
    kids = Counter(kid_of(t) for t in tokens)
    codes = []
    for url, issued in zip(targets, tokens, strict=True):
        other = b if url == a else a
        codes += await statuses(run.http, other, READS[:1], issued, 2)
    after = await _signing_keys(run.cluster.owner_dsn)
    verdict = Verdict(
        f"{len(tokens)} token requests at once, half to each replica, on a database with "
        f"{before} signing keys → {after} key made, tokens signed by {len(kids)} key(s); each "
        f"used twice on the other replica at once: {_tally(codes)}"
    )
    verdict.expect(after == max(before, 1), f"{after - before} signing keys were made")
    verdict.expect(len(kids) == 1, f"the tokens were signed by {len(kids)} different keys")
    verdict.expect(all(code == 200 for code in codes), "a replica refused the other's token")
    return verdict


async def _new_client(run: Run, base_url: str) -> Credentials:
    admin = await run.admin_token(base_url)
    response = await run.http.post(
        f"{base_url}/v1/clients",
        json={
            "name": "scale-check: disabled through A",
            "scopes": ["children:read", "milestones:read"],
        },
        headers=bearer(admin),
    )
    if response.status_code != 201:
        raise RuntimeError(f"POST /v1/clients: {response.status_code} {response.text}")
    body = response.json()
    return Credentials(body["client_id"], body["client_secret"])


async def client_disable(run: Run) -> Verdict:
    """A client created and disabled through A, its token issued by B: refused by B at once."""
    a, b = run.cluster.url("a"), run.cluster.url("b")
    client = await _new_client(run, a)
    victim = await token(run.http, b, client)
    before = await statuses(run.http, a, READS, victim, TIMES)
    before += await statuses(run.http, b, READS, victim, TIMES)
    admin = await run.admin_token(a)
    patched = await run.http.patch(
        f"{a}/v1/clients/{client.client_id}", json={"active": False}, headers=bearer(admin)
    )
    answered = time.monotonic()
    first = await run.http.get(f"{b}{READS[0]}", headers={**bearer(victim), **NEW_CONNECTION})
    first_ms = (time.monotonic() - answered) * 1000
    on_b = [first.status_code, *await statuses(run.http, b, READS, victim, TIMES)]
    on_a = await statuses(run.http, a, READS, victim, TIMES)
    again = await run.http.post(
        f"{b}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    verdict = Verdict(
        f"PATCH active=false through A → {patched.status_code}; the client's token (issued by B) "
        f"on B: {_tally(on_b)} (the first {first_ms:.0f} ms after the PATCH answered), on A: "
        f"{_tally(on_a)}; a new token from B: {again.status_code} (before: {_tally(before)})"
    )
    verdict.expect(all(code == 200 for code in before), "the token failed before the PATCH")
    verdict.expect(patched.status_code == 200, f"the PATCH answered {patched.status_code}")
    verdict.expect(all(code == 401 for code in on_b), "B accepted the disabled client's token")
    verdict.expect(all(code == 401 for code in on_a), "A accepted the disabled client's token")
    verdict.expect(again.status_code == 401, "B issued a token to the disabled client")
    return verdict


async def _rotate(env: dict[str, str]) -> tuple[str, float]:
    """`dmi-api keys rotate --json`: the new kid and when it signs (Unix seconds)."""
    process = await asyncio.create_subprocess_exec(
        str(VENV_BIN / "dmi-api"),
        "keys",
        "rotate",
        "--json",
        env=env,
        cwd=REPO_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"dmi-api keys rotate: exit {process.returncode}: {err.decode()}")
    rotation = json.loads(out.decode().strip().splitlines()[-1])
    return str(rotation["kid"]), datetime.fromisoformat(rotation["signs_from"]).timestamp()


async def _published(run: Run, base_url: str, kid: str, until: float) -> float | None:
    """Poll `base_url`'s JWKS until it lists `kid` (Unix seconds when it did) or `until`."""
    while time.time() < until:
        keys = (await run.http.get(f"{base_url}/.well-known/jwks.json")).json()["keys"]
        if any(key.get("kid") == kid for key in keys):
            return time.time()
        await asyncio.sleep(0.1)
    return None


async def key_rotation(run: Run) -> Verdict:
    """A key rotated by the CLI: published everywhere first, then signing on A, verified on B."""
    a, b, lb = run.cluster.url("a"), run.cluster.url("b"), run.cluster.lb
    old_token = await token(run.http, a, run.cluster.admin)
    old_kid = kid_of(old_token)
    rotated_at = time.time()
    new_kid, signs_from = await _rotate(run.cluster.env)
    early = await token(run.http, a, run.cluster.admin) if time.time() < signs_from else None
    listed_on_b = await _published(run, b, new_kid, signs_from)
    await asyncio.sleep(max(0.0, signs_from - time.time()) + 0.05)
    new_tokens = [await token(run.http, a, run.cluster.admin) for _ in range(TIMES)]
    new_on_b = await statuses(run.http, b, READS, new_tokens[0], TIMES)
    new_on_lb = await statuses(run.http, lb, READS, new_tokens[0], TIMES)
    old_on_b = await statuses(run.http, b, READS, old_token, TIMES)
    kid_from_b = kid_of(await token(run.http, b, run.cluster.admin))
    kids_from_a = Counter(_which(kid_of(t), new_kid) for t in new_tokens)
    listed = "never" if listed_on_b is None else f"{listed_on_b - rotated_at:.1f} s"
    before = "not taken (late)" if early is None else _which(kid_of(early), new_kid)
    verdict = Verdict(
        f"`dmi-api keys rotate` → the new key signs {signs_from - rotated_at:.1f} s after the "
        f"command started (published, then signing {PUBLISH_DELAY} s later: refresh "
        f"{SIGNING_KEY_REFRESH_SECONDS} s + leeway {TOKEN_LEEWAY_SECONDS} s + 1 s); B's JWKS "
        f"listed it {listed} after the command started; "
        f"a token from A before the switch: {before} key; after it, tokens from A: "
        f"{dict(kids_from_a)}, from B: {_which(kid_from_b, new_kid)} key; A's new token on B: "
        f"{_tally(new_on_b)}, via HAProxy: {_tally(new_on_lb)}; the old token on B: "
        f"{_tally(old_on_b)}"
    )
    verdict.expect(new_kid != old_kid, "the rotation did not make a new key")
    verdict.expect(listed_on_b is not None, "B did not publish the new key before it signed")
    verdict.expect(early is None or kid_of(early) == old_kid, "A signed with the key too early")
    verdict.expect(
        kids_from_a == {"new": TIMES}, "A did not sign with the new key after the switch"
    )
    verdict.expect(kid_from_b == new_kid, "B did not sign with the new key after the switch")
    verdict.expect(all(code == 200 for code in new_on_b), "B refused A's token of the new key")
    verdict.expect(all(code == 200 for code in new_on_lb), "HAProxy's replicas refused it")
    verdict.expect(all(code == 200 for code in old_on_b), "B refused a token of the old key")
    return verdict
