"""`SnapshotRows`, the workers' reader: on a connection of its own, it reads exactly what the
export's snapshot holds (rows committed after it began are not read, rows deleted after it are),
bound to the session's clinic, JSON decoded as the app decodes it, one chunk ahead while the
session's connection serves other queries; a session that wrote is read on its own connection
(its writes are in no exported snapshot); an export that stops early leaves no connection.

On committed rows of a table of the test's own (the per-test transaction cannot be shared)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg  # type: ignore[import-untyped]
import pytest
from pydantic import SecretStr
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from dmi_api.config import Settings
from dmi_api.db import create_engine, create_sessionmaker
from dmi_api.direct.export_rows import SnapshotRows
from dmi_api.tenant_scope import bind_settings
from tests.conftest import Database

pytestmark = pytest.mark.postgres_only

COUNT = 2500
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def scratch(database: Database) -> AsyncIterator[tuple[Table, Settings, AsyncEngine]]:
    """A committed table of COUNT rows, dropped at the end; settings and an engine as its owner."""
    name = f"snapshot_rows_{uuid.uuid4().hex[:12]}"
    table = Table(
        name,
        MetaData(),
        Column("n", Integer, primary_key=True),
        Column("doc", JSON),
        Column("at", DateTime(timezone=True)),
    )
    settings = Settings(
        database_url=SecretStr(database.owner_url),
        migration_database_url=SecretStr(database.owner_url),
    )
    engine = create_engine(settings, long_running=True)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
            await conn.execute(
                table.insert(),
                [
                    {"n": n, "doc": {"n": n, "tags": [n]}, "at": START + timedelta(minutes=n)}
                    for n in range(1, COUNT + 1)
                ],
            )
        yield table, settings, engine
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.drop_all)
        await engine.dispose()


def _asyncpg(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _exporters(database: Database) -> int:
    conn = await asyncpg.connect(_asyncpg(database.owner_url))
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dmi-api-export'"
        )
        return count
    finally:
        await conn.close()


async def test_reads_the_snapshot_one_chunk_ahead(
    scratch: tuple[Table, Settings, AsyncEngine], database: Database
) -> None:
    table, settings, engine = scratch
    clinic = uuid.uuid4()
    statement = select(
        table.c.n, table.c.doc, table.c.at, literal_column("current_setting('dmi.clinic_id')")
    ).order_by(table.c.n)
    async with create_sessionmaker(engine)() as db:
        await db.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        await bind_settings(db, clinic_id=clinic)
        assert (await db.execute(select(func.count()).select_from(table))).scalar_one() == COUNT
        # Committed after the export's snapshot began: a row added, one deleted.
        async with engine.begin() as other:
            await other.execute(table.insert().values(n=COUNT + 1, doc={}, at=START))
            await other.execute(table.delete().where(table.c.n == 1))
        chunks = []
        async for rows in SnapshotRows(settings)(db, statement, 1000):
            chunks.append(rows)
            # The session's connection is free while the next chunk is on its way.
            counted = await db.execute(select(func.count()).select_from(table))
            assert counted.scalar_one() == COUNT
        assert [len(rows) for rows in chunks] == [1000, 1000, 500]
        rows = [row for chunk in chunks for row in chunk]
        assert [row.n for row in rows] == list(range(1, COUNT + 1))
        assert rows[9].doc == {"n": 10, "tags": [10]}
        assert rows[9].at == START + timedelta(minutes=10)
        assert {row[3] for row in rows} == {str(clinic)}
    assert await _exporters(database) == 0


async def test_a_session_that_wrote_is_read_on_its_own_connection(
    scratch: tuple[Table, Settings, AsyncEngine],
) -> None:
    table, settings, engine = scratch
    async with create_sessionmaker(engine)() as db, db.begin():
        await db.execute(table.insert().values(n=COUNT + 7, doc={"mine": True}, at=START))
        statement = select(table.c.n, table.c.doc).where(table.c.n > COUNT)
        rows = [row async for chunk in SnapshotRows(settings)(db, statement, 10) for row in chunk]
        assert [(row.n, row.doc) for row in rows] == [(COUNT + 7, {"mine": True})]
        await db.rollback()


async def test_stopping_early_leaves_no_connection(
    scratch: tuple[Table, Settings, AsyncEngine], database: Database
) -> None:
    table, settings, engine = scratch
    async with create_sessionmaker(engine)() as db:
        await db.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        reader = SnapshotRows(settings)(db, select(table.c.n).order_by(table.c.n), 100)
        async for rows in reader:
            assert rows[0].n == 1
            assert await _exporters(database) == 1
            break
        await reader.aclose()  # type: ignore[attr-defined]
    for _ in range(50):  # the server notices the goodbye at once, or nearly
        if await _exporters(database) == 0:
            break
        await asyncio.sleep(0.05)
    assert await _exporters(database) == 0


async def test_the_sessions_transaction_outlives_a_slow_read(
    scratch: tuple[Table, Settings, AsyncEngine],
) -> None:
    # The session waits while the other connection reads; its transaction must not end at the
    # server's idle-in-transaction timeout (1 s here) before the rendering's next query.
    table, settings, engine = scratch
    async with create_sessionmaker(engine)() as db:
        await db.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        await db.execute(text("SET LOCAL idle_in_transaction_session_timeout = 1000"))
        reader = SnapshotRows(settings, keepalive_seconds=0.3)
        read = 0
        async for rows in reader(db, select(table.c.n), 500):
            read += len(rows)
            await asyncio.sleep(0.45)  # rendering, without a query on the session
        assert read == COUNT
        await asyncio.sleep(0.45)
        counted = await db.execute(select(func.count()).select_from(table))
        assert counted.scalar_one() == COUNT
