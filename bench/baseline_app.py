"""The baseline: a raw ASGI app doing one asyncpg primary-key select per request, no framework.

`GET /children/{id}` answers the child row as JSON (orjson), 404 when there is none. It connects
as the same non-superuser role as the API, with the clinic bound once per connection (so the
row-level security policy is evaluated as for the API, without a round trip per request).
Environment: BENCH_BASELINE_DSN, BENCH_CLINIC_ID, BENCH_BASELINE_POOL_SIZE (default 10).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

QUERY = (
    "SELECT id, clinic_id, version, created_at, updated_at, deleted_at, given_name, family_name,"
    " preferred_name, birth_date, sex, gestational_age_weeks, gestational_age_days, diagnoses,"
    " status, external_id, caregivers FROM child WHERE id = $1"
)
PREFIX = "/children/"
JSON_HEADERS = [(b"content-type", b"application/json")]
_pools: dict[str, asyncpg.Pool] = {}  # one pool per worker process, made at startup


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
    )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            size = int(os.environ.get("BENCH_BASELINE_POOL_SIZE", "10"))
            _pools["db"] = await asyncpg.create_pool(
                os.environ["BENCH_BASELINE_DSN"],
                min_size=size,
                max_size=size,
                init=_init_connection,
                server_settings={
                    "application_name": "dmi-bench-baseline",
                    "dmi.clinic_id": os.environ["BENCH_CLINIC_ID"],
                },
            )
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if "db" in _pools:
                await _pools.pop("db").close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": JSON_HEADERS})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI entry point."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    path: str = scope["path"]
    pool = _pools.get("db")
    if scope["type"] != "http" or not path.startswith(PREFIX) or pool is None:
        await _respond(send, 404, b'{"error":"not found"}')
        return
    try:
        child_id = uuid.UUID(path[len(PREFIX) :])
    except ValueError:
        await _respond(send, 404, b'{"error":"not found"}')
        return
    row = await pool.fetchrow(QUERY, child_id)
    if row is None:
        await _respond(send, 404, b'{"error":"not found"}')
        return
    # asyncpg answers its own UUID type, which orjson serializes through `default`.
    await _respond(send, 200, orjson.dumps(dict(row), default=str))
