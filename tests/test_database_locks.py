"""A locked table: its requests answer 503 fast; the other routes and readiness carry on."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from dmi_api.config import Settings
from tests.conftest import Database, build_test_app
from tests.support.records import seed_child
from tests.support.tenants import bearer, make_tenant, mint_token
from tests.test_database_outage import assert_unavailable

pytestmark = pytest.mark.postgres_only

LOCK_BOUND_SECONDS = 3.5  # the lock timeout (2 s by default) and the request around it


@dataclass
class Served:
    """An app on the real database (its own pools, nothing rolled back), with a child."""

    app: FastAPI
    client: httpx.AsyncClient
    headers: dict[str, str]
    child_id: uuid.UUID

    @property
    def child_path(self) -> str:
        return f"/v1/children/{self.child_id}"


@asynccontextmanager
async def serve(database: Database, **overrides: object) -> AsyncIterator[Served]:
    settings = Settings(
        database_url=SecretStr(database.app_url),
        issuer="http://testserver",
        **overrides,  # type: ignore[arg-type]
    )
    app = build_test_app(settings)
    try:
        tenant = await make_tenant(app)
        child = await seed_child(app, tenant)
        headers = bearer(await mint_token(app, tenant))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield Served(app, client, headers, child.id)
    finally:
        if app.state.direct is not None:
            await app.state.direct.close()
        await app.state.engine.dispose()


@asynccontextmanager
async def holding(database: Database, statement: str, *args: object) -> AsyncIterator[Any]:
    """Another connection (the owner's) runs `statement` in a transaction it keeps open."""
    url = make_url(database.owner_url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        async with conn.transaction():
            await conn.execute(statement, *args)
            yield conn
    finally:
        await conn.close()


async def until_waiting(conn: Any, count: int) -> None:
    """Return once `count` other sessions of the database wait for a lock (at most 5 s)."""
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(5):
        while True:  # the server's state, polled: no event to wait on
            if await conn.fetchval(query) >= count:
                return
            await asyncio.sleep(0.01)


async def _timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


class TestABlockedRequest:
    @pytest.mark.parametrize("direct_reads", [False, True], ids=["session", "direct"])
    async def test_a_read_of_a_locked_table_is_503_within_seconds(
        self, database: Database, direct_reads: bool
    ) -> None:
        async with serve(database, direct_reads=direct_reads) as served:
            lock = "LOCK TABLE child IN ACCESS EXCLUSIVE MODE"
            async with holding(database, lock):
                response, elapsed = await _timed(
                    served.client.get(served.child_path, headers=served.headers)
                )
            assert_unavailable(response)
            assert elapsed < LOCK_BOUND_SECONDS
            again = await served.client.get(served.child_path, headers=served.headers)
            assert again.status_code == 200

    async def test_a_write_to_a_locked_row_is_503_within_seconds(self, database: Database) -> None:
        async with serve(database) as served:
            row_lock = "SELECT 1 FROM child WHERE id = $1 FOR UPDATE"
            async with holding(database, row_lock, served.child_id):
                response, elapsed = await _timed(
                    served.client.patch(
                        served.child_path,
                        json={"preferred_name": "Mimi"},
                        headers={**served.headers, "If-Match": '"1"'},
                    )
                )
            assert_unavailable(response)
            assert elapsed < LOCK_BOUND_SECONDS


class TestOneLockedTableDoesNotStarveTheOthers:
    """64 clients stuck on one table hold at most their route's share of the pool."""

    async def test_session_path_practitioners_and_readiness_answer(
        self, database: Database
    ) -> None:
        async with serve(database, direct_reads=False, db_pool_size=4, db_max_overflow=2) as served:
            client, headers = served.client, served.headers
            async with holding(database, "LOCK TABLE child IN ACCESS EXCLUSIVE MODE"):
                blocked = [
                    asyncio.ensure_future(client.get(served.child_path, headers=headers))
                    for _ in range(64)
                ]
                await asyncio.sleep(0.5)  # they hold what they may of the pool, the rest wait
                others, elapsed = await _timed(client.get("/v1/practitioners", headers=headers))
                ready, ready_elapsed = await _timed(client.get("/readyz"))
                assert [others.status_code, ready.status_code] == [200, 200]
                assert elapsed < 1.5
                assert ready_elapsed < 2
            statuses = {response.status_code for response in await asyncio.gather(*blocked)}
            assert statuses <= {200, 503}

    async def test_direct_path_other_statements_answer(self, database: Database) -> None:
        async with serve(database, direct_pool_size=4) as served:
            client, headers = served.client, served.headers
            sessions = f"{served.child_path}/session-records"
            async with holding(database, "LOCK TABLE session_record IN ACCESS EXCLUSIVE MODE"):
                blocked = [
                    asyncio.ensure_future(client.get(sessions, headers=headers)) for _ in range(64)
                ]
                await asyncio.sleep(0.5)
                child, elapsed = await _timed(client.get(served.child_path, headers=headers))
                assert child.status_code == 200
                assert elapsed < 1.5
            statuses = {response.status_code for response in await asyncio.gather(*blocked)}
            assert statuses <= {200, 503}


class TestADeadlock:
    async def test_two_assessments_rescoring_each_other_at_once_are_a_503_not_a_500(
        self, database: Database
    ) -> None:
        # Each PATCH locks its assessment, then rescores the child's others and writes the one
        # the other PATCH holds: PostgreSQL breaks the deadlock by failing one of them.
        async with serve(database) as served:
            client, headers = served.client, served.headers
            practitioner = {"name": "Ana Ruiz", "discipline": "PT"}
            assessor = await client.post("/v1/practitioners", json=practitioner, headers=headers)
            made = []
            for day, score in (("2025-03-04", 3), ("2025-04-04", 2)):
                body = {
                    "child_id": str(served.child_id),
                    "assessor_id": assessor.json()["id"],
                    "instrument": "gmfm88",
                    "performed_on": day,
                    "items": {"1": score},
                    "status": "final",
                }
                created = await client.post("/v1/assessments", json=body, headers=headers)
                assert created.status_code == 201, created.text
                made.append(created.json())
            earlier, later = made
            changes = [
                (earlier, {"items": {"1": 1, "2": 2}}),  # the later one's change moves
                (later, {"performed_on": "2025-02-04"}),  # now before it: the earlier's moves
            ]
            # Both lock their own row, then wait for the settings; released, they deadlock.
            async with holding(database, "LOCK TABLE clinic_settings IN ACCESS EXCLUSIVE MODE"):
                sent = [
                    asyncio.ensure_future(
                        client.patch(
                            f"/v1/assessments/{row['id']}",
                            json=change,
                            headers={**headers, "If-Match": f'"{row["version"]}"'},
                        )
                    )
                    for row, change in changes
                ]
                async with holding(database, "SELECT 1") as watcher:
                    await until_waiting(watcher, 2)
            responses = await asyncio.gather(*sent)
            statuses = sorted(response.status_code for response in responses)
            assert statuses == [200, 503], [response.text for response in responses]
            for (row, change), response in zip(changes, responses, strict=True):
                if response.status_code == 503:  # rolled back: nothing of it was written
                    assert_unavailable(response)
                    path = f"/v1/assessments/{row['id']}"
                    stored = (await client.get(path, headers=headers)).json()
                    assert {name: stored[name] for name in change} != change
