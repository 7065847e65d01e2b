"""Migrations: a full round trip, and the migrated schema is exactly the models."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url

from dmi_api.config import Settings
from dmi_api.db import create_engine
from dmi_api.migrate import downgrade, migrations_dir, upgrade_to_head
from dmi_api.models import metadata
from tests.conftest import BACKEND, _admin_execute
from tests.support.pg_server import PgServer


@pytest.fixture
async def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the run's backend, dropped afterwards."""
    if BACKEND == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"dmi_scratch_{uuid.uuid4().hex[:12]}"
    await _admin_execute(server.admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server.admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin_execute(server.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _inspect(url: str) -> tuple[list[Any], set[str]]:
    engine = create_engine(Settings(database_url=SecretStr(url)))

    def diff_and_tables(connection: Connection) -> tuple[list[Any], set[str]]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, metadata), set(inspect(connection).get_table_names())

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(diff_and_tables)
    finally:
        await engine.dispose()


async def test_round_trip_and_no_drift(scratch_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, scratch_url)
    await asyncio.to_thread(downgrade, scratch_url, "base")
    _, tables_at_base = await _inspect(scratch_url)
    assert tables_at_base <= {"alembic_version"}

    await asyncio.to_thread(upgrade_to_head, scratch_url)
    differences, tables = await _inspect(scratch_url)
    assert differences == []
    assert set(metadata.tables) <= tables


def test_migration_files_are_named_by_date_and_slug() -> None:
    names = [p.name for p in (migrations_dir() / "versions").glob("*.py")]
    assert names
    for name in names:
        date, _, slug = name.removesuffix(".py").partition("_")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date), name
        assert slug, name
