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
            await conn.execute("SELECT pg_stat_clear_snapshot()")  # else frozen in a transaction
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


AIMS_ITEMS = {f"prone-{n}": 1 for n in range(1, 8)} | {"supine-1": 1}


async def _assessment(served: Served, **fields: object) -> dict[str, Any]:
    """A final assessment of the child, by a practitioner of its own (an AIMS by default)."""
    practitioner = {"name": "Ana Ruiz", "discipline": "PT"}
    assessor = await served.client.post(
        "/v1/practitioners", json=practitioner, headers=served.headers
    )
    body = {
        "child_id": str(served.child_id),
        "assessor_id": assessor.json()["id"],
        "instrument": "aims",
        "performed_on": "2024-09-01",  # 6 months old
        "items": AIMS_ITEMS,
        "status": "final",
        **fields,
    }
    created = await served.client.post("/v1/assessments", json=body, headers=served.headers)
    assert created.status_code == 201, created.text
    made: dict[str, Any] = created.json()
    return made


def _patch(served: Served, path: str, body: dict[str, Any], version: object) -> Any:
    headers = {**served.headers, "If-Match": f'"{version}"'}
    return asyncio.ensure_future(served.client.patch(path, json=body, headers=headers))


class TestADeadlock:
    async def test_the_request_rolled_back_to_break_a_deadlock_is_a_503(
        self, database: Database
    ) -> None:
        # The child's PATCH rescores its AIMS, which another session holds; that session
        # then waits for the child: PostgreSQL fails the request, which waited first.
        async with serve(database) as served:
            aims = await _assessment(served)
            held = "SELECT 1 FROM assessment WHERE id = $1 FOR UPDATE"
            async with (
                holding(database, held, uuid.UUID(aims["id"])) as other,
                holding(database, "SELECT 1") as watcher,
            ):
                aged = _patch(served, served.child_path, {"birth_date": "2021-03-01"}, 1)
                await until_waiting(watcher, 1)
                await other.execute("SELECT 1 FROM child WHERE id = $1 FOR UPDATE", served.child_id)
                response = await aged
            assert_unavailable(response)
            child = await served.client.get(served.child_path, headers=served.headers)
            assert child.json()["birth_date"] == "2024-03-01"  # nothing of it was written
            assert child.headers["etag"] == '"1"'


class TestAChildAndItsRecordsAtOnce:
    """Writes that recompute a child's results (its own, its assessments' and milestones')
    take the child first: they run one at a time, never in a deadlock, never from a version
    another has changed meanwhile."""

    async def test_a_birth_date_and_an_assessment_changed_at_once_both_apply(
        self, database: Database
    ) -> None:
        # Both stopped where a rescoring reads the child's walking milestone.
        async with serve(database) as served:
            aims = f"/v1/assessments/{(await _assessment(served))['id']}"
            milestones = "LOCK TABLE milestone IN ACCESS EXCLUSIVE MODE"
            async with holding(database, milestones), holding(database, "SELECT 1") as watcher:
                scored = _patch(served, aims, {"items": {**AIMS_ITEMS, "supine-2": 1}}, 1)
                await until_waiting(watcher, 1)
                aged = _patch(served, served.child_path, {"birth_date": "2021-03-01"}, 1)
                await until_waiting(watcher, 2)
            responses = await asyncio.gather(scored, aged)
            assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
            stored = (await served.client.get(aims, headers=served.headers)).json()
            assert stored["version"] == 3  # its PATCH, then the child's rescoring
            assert stored["items"]["supine-2"] == 1
            assert stored["scores"]["total"] == 9
            assert [w["code"] for w in stored["warnings"]] == ["outside_age_range"]
            versions = await served.client.get(aims + "/versions", headers=served.headers)
            assert [v["version"] for v in versions.json()["data"]] == [1, 2, 3]

    async def test_two_assessments_rescoring_each_other_at_once(self, database: Database) -> None:
        # Each PATCH changes the other's GMFM-88 change: the first applies and rescores the
        # other, whose PATCH then names a stale version (412); neither fails otherwise.
        async with serve(database) as served:
            gmfm = {"instrument": "gmfm88"}
            earlier = await _assessment(served, **gmfm, performed_on="2025-03-04", items={"1": 3})
            later = await _assessment(served, **gmfm, performed_on="2025-04-04", items={"1": 2})
            changes: list[tuple[dict[str, Any], dict[str, Any]]] = [
                (earlier, {"items": {"1": 1, "2": 2}}),  # the later one's change moves
                (later, {"performed_on": "2025-02-04"}),  # now before it: the earlier's moves
            ]
            # Both wait for the settings (the token's check), then go on at once.
            settings = "LOCK TABLE clinic_settings IN ACCESS EXCLUSIVE MODE"
            async with holding(database, settings), holding(database, "SELECT 1") as watcher:
                sent = [
                    _patch(served, f"/v1/assessments/{row['id']}", change, row["version"])
                    for row, change in changes
                ]
                await until_waiting(watcher, 2)
            responses = await asyncio.gather(*sent)
            statuses = sorted(response.status_code for response in responses)
            assert statuses == [200, 412], [response.text for response in responses]
            for (row, change), response in zip(changes, responses, strict=True):
                if response.status_code == 412:  # nothing of it was written
                    path = f"/v1/assessments/{row['id']}"
                    stored = (await served.client.get(path, headers=served.headers)).json()
                    assert {name: stored[name] for name in change} != change

    async def test_records_created_while_the_birth_date_moves_are_checked_against_it(
        self, database: Database
    ) -> None:
        # The child's PATCH (to a later birth date) stops where it looks for milestones dated
        # before it; an assessment and a milestone dated before that new date are posted.
        async with serve(database) as served:
            practitioner = {"name": "Ana Ruiz", "discipline": "PT"}
            assessor = await served.client.post(
                "/v1/practitioners", json=practitioner, headers=served.headers
            )
            assessment = {
                "child_id": str(served.child_id),
                "assessor_id": assessor.json()["id"],
                "instrument": "gmfm88",
                "performed_on": "2024-09-01",
                "items": {"1": 3},
            }
            milestone = {
                "child_id": str(served.child_id),
                "milestone": "sitting_without_support",
                "achieved_on": "2024-09-02",
            }
            milestones = "LOCK TABLE milestone IN ACCESS EXCLUSIVE MODE"
            async with holding(database, milestones), holding(database, "SELECT 1") as watcher:
                aged = _patch(served, served.child_path, {"birth_date": "2024-10-01"}, 1)
                await until_waiting(watcher, 1)
                posted = [
                    asyncio.ensure_future(
                        served.client.post(url, json=body, headers=served.headers)
                    )
                    for url, body in (
                        ("/v1/assessments", assessment),
                        ("/v1/milestones", milestone),
                    )
                ]
                await until_waiting(watcher, 3)
            responses = await asyncio.gather(aged, *posted)
            assert [r.status_code for r in responses] == [200, 422, 422], [
                r.text for r in responses
            ]
            codes = [[e["code"] for e in r.json()["errors"]] for r in responses[1:]]
            assert codes == [["before_birth"], ["date_before_birth"]]
