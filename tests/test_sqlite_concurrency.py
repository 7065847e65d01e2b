"""The embedded SQLite default serialises concurrent writes instead of failing them.

It makes its own SQLite file, whatever the run's backend (so it runs once, in the PostgreSQL pass),
and serves it from two apps (two engines, as two workers would), so that the requests'
transactions really overlap.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from dmi_api.config import Settings
from dmi_api.migrate import upgrade_to_head
from tests.conftest import build_test_app
from tests.support.tenants import TenantClient, bearer, make_tenant, mint_token

CHILD = {"given_name": "Mia", "family_name": "Lopez", "birth_date": "2024-03-01", "sex": "female"}


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("concurrency") / "embedded.db"
    upgrade_to_head(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
async def workers(sqlite_file: Path) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two apps on the same file, each with its own engine (two workers of `dmi-api serve`)."""
    settings = Settings(
        database_url=SecretStr(f"sqlite+aiosqlite:///{sqlite_file}"),
        issuer="http://testserver",
        # Writers queue for the file's lock up to the request's timeout, then 503: long enough
        # here that eight queued writes never reach it on a busy host (2.5 s did, with one 503).
        db_statement_timeout_ms=30_000,
    )
    apps = [build_test_app(settings) for _ in range(2)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        for app in apps
    ]
    try:
        yield clients
    finally:
        for client, app in zip(clients, apps, strict=True):
            await client.aclose()
            await app.state.engine.dispose()


async def _headers(app: FastAPI, tenant: TenantClient) -> dict[str, str]:
    return bearer(await mint_token(app, tenant))


def _app(client: httpx.AsyncClient) -> FastAPI:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    assert isinstance(app, FastAPI)
    return app


class TestConcurrentWrites:
    async def test_same_if_match_gives_one_200_and_412s(
        self, workers: list[httpx.AsyncClient]
    ) -> None:
        app = _app(workers[0])
        tenant = await make_tenant(app)
        headers = await _headers(app, tenant)
        created = await workers[0].post("/v1/children", json=CHILD, headers=headers)
        assert created.status_code == 201
        path = f"/v1/children/{created.json()['id']}"
        conditional = {**headers, "If-Match": created.headers["etag"]}

        responses = await asyncio.gather(
            *(
                workers[i % 2].patch(path, json={"preferred_name": f"P{i}"}, headers=conditional)
                for i in range(8)
            )
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [412] * 7
        current = await workers[1].get(path, headers=headers)
        assert current.headers["etag"] == '"2"'

    async def test_same_idempotency_key_gives_one_row(
        self, workers: list[httpx.AsyncClient], sqlite_file: Path
    ) -> None:
        app = _app(workers[0])
        tenant = await make_tenant(app)
        headers = {**await _headers(app, tenant), "Idempotency-Key": "concurrent-create-1"}
        body = {**CHILD, "external_id": "MRN-CONCURRENT"}

        responses = await asyncio.gather(
            *(workers[i % 2].post("/v1/children", json=body, headers=headers) for i in range(6))
        )
        assert [response.status_code for response in responses] == [201] * 6
        assert len({response.json()["id"] for response in responses}) == 1
        replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
        assert len(replayed) == 5
        with sqlite3.connect(sqlite_file) as connection:
            (rows,) = connection.execute(
                "SELECT count(*) FROM child WHERE clinic_id = ? AND external_id = ?",
                (tenant.clinic_id.hex, "MRN-CONCURRENT"),
            ).fetchone()
        assert rows == 1

    async def test_reads_alongside_writes_never_fail(
        self, workers: list[httpx.AsyncClient]
    ) -> None:
        # A read records its audit event at commit: it writes too, after writers committed.
        app = _app(workers[0])
        tenant = await make_tenant(app)
        headers = await _headers(app, tenant)
        created = await workers[0].post("/v1/children", json=CHILD, headers=headers)
        path = f"/v1/children/{created.json()['id']}"
        writes = (
            workers[i % 2].post(
                "/v1/children", json={**CHILD, "external_id": f"MRN-{i}"}, headers=headers
            )
            for i in range(6)
        )
        reads = (workers[i % 2].get(path, headers=headers) for i in range(12))
        responses = await asyncio.gather(*writes, *reads)
        assert sorted({response.status_code for response in responses}) == [200, 201]
