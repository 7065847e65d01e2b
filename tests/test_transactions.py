"""The request boundary commits on success and rolls back on error; tests roll back everything."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@pytest.fixture
async def note_table(db_connection: AsyncConnection) -> None:
    # A temporary table: the app's role may not create tables. It disappears with the rollback.
    await db_connection.execute(text("CREATE TEMP TABLE probe_note (text VARCHAR(100) NOT NULL)"))


async def _notes(db_connection: AsyncConnection) -> list[str]:
    rows = await db_connection.execute(text("SELECT text FROM probe_note ORDER BY text"))
    return [row[0] for row in rows]


@pytest.mark.usefixtures("note_table")
class TestRequestBoundary:
    async def test_success_commits(
        self, client: httpx.AsyncClient, db_connection: AsyncConnection
    ) -> None:
        response = await client.post("/_probe/notes", json={"text": "kept"})
        assert response.status_code == 201
        assert await _notes(db_connection) == ["kept"]

    async def test_error_after_write_rolls_back(
        self, client: httpx.AsyncClient, db_connection: AsyncConnection
    ) -> None:
        await client.post("/_probe/notes", json={"text": "kept"})
        response = await client.post(
            "/_probe/notes", params={"fail": "true"}, json={"text": "lost"}
        )
        assert response.status_code == 409
        assert await _notes(db_connection) == ["kept"]

    async def test_invalid_payload_writes_nothing(
        self, client: httpx.AsyncClient, db_connection: AsyncConnection
    ) -> None:
        response = await client.post("/_probe/notes", json={"text": "x" * 100})
        assert response.status_code == 201
        too_long = await client.post("/_probe/notes", json={"text": "y" * 101})
        assert too_long.status_code == 422
        assert await _notes(db_connection) == ["x" * 100]


async def test_each_test_starts_clean(db_connection: AsyncConnection) -> None:
    exists = await db_connection.run_sync(lambda sync: sync.dialect.has_table(sync, "probe_note"))
    assert not exists
