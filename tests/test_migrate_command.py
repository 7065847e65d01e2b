"""`dmi-api migrate` as an operator runs it: from every replica at once, again, and as a role
that may not create the schema. Each is a real process on a real database (PostgreSQL, and the
embedded SQLite file)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from dmi_api.db import migrations_dir
from tests.conftest import _admin_execute
from tests.support.pg_server import PgServer
from tests.support.setup_script import PASSWORD, admin, run_script
from tests.test_migrations import scratch_url  # noqa: F401 (a fixture)


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    return env | {"DMI_LOG_LEVEL": "WARNING"} | settings


def _start_migrate(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dmi_api.cli", "migrate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _migrate(env: dict[str, str]) -> tuple[int, str]:
    process = _start_migrate(env)
    _, err = process.communicate(timeout=180)
    return process.returncode, err


def _head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(migrations_dir())).get_current_head()
    assert head is not None
    return head


@pytest.mark.postgres_only
async def test_replicas_migrating_at_once_all_succeed(scratch_url: str) -> None:  # noqa: F811
    """The image migrates on start (DMI_MIGRATE_ON_START=1) in every replica that has it set:
    two at once on an empty database failed one of them with a traceback (duplicate key value
    violates unique constraint "pg_type_typname_nsp_index"), its container restarting."""
    env = _env(DMI_DATABASE_URL=scratch_url)
    processes = [_start_migrate(env) for _ in range(3)]
    results = [await asyncio.to_thread(p.communicate, timeout=240) for p in processes]
    for process, (_, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err
    # And once more, as every deploy does: nothing to do, exit 0.
    code, err = await asyncio.to_thread(_migrate, env)
    assert code == 0, err
    database = make_url(scratch_url).database or ""
    server_url = make_url(scratch_url).set(database="postgres")
    [versions] = await admin(
        server_url.render_as_string(hide_password=False),
        database,
        "SELECT string_agg(version_num, ',') FROM alembic_version",
    )
    assert versions == _head()


@pytest.mark.own_database
async def test_two_migrations_of_one_embedded_file_at_once(tmp_path: Path) -> None:
    """Two `dmi-api serve` (or `migrate`) started at once on the embedded SQLite file (`make run`
    in two terminals, a service restarted over a running one): SQLite ran each migration's DDL
    outside a transaction, so the two interleaved: one failed ('table auth_throttle already
    exists') and the file was left with two rows in alembic_version, every later `migrate` or
    `serve` ending in alembic's traceback ('Requested revision ... overlaps'): stuck for good."""
    database = tmp_path / "dmi.db"
    env = _env(DMI_DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    processes = [_start_migrate(env) for _ in range(2)]
    results = [await asyncio.to_thread(p.communicate, timeout=240) for p in processes]
    for process, (_, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
    code, err = await asyncio.to_thread(_migrate, env)
    assert code == 0, err
    with closing(sqlite3.connect(database)) as connection:
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(_head(),)]


@pytest.fixture
async def unmigrated_setup(pg_server: PgServer) -> AsyncIterator[tuple[str, str]]:
    """A database made by scripts/postgres-setup.sh, not migrated: (owner URL, service URL)."""
    name = f"dmi_unmigrated_{uuid.uuid4().hex[:10]}"
    made = await asyncio.to_thread(run_script, pg_server.admin_url, name)
    try:
        yield made.owner_url, made.service_url
    finally:
        await _admin_execute(
            pg_server.admin_url,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            *(f'DROP ROLE IF EXISTS "{name}{s}"' for s in ("_service", "_app", "_owner")),
        )


@pytest.mark.postgres_only
async def test_migrating_as_the_service_role_is_one_line(
    unmigrated_setup: tuple[str, str],
) -> None:
    """An operator who set DMI_DATABASE_URL (the service role) but not the owner's
    DMI_MIGRATION_DATABASE_URL: `dmi-api migrate` printed a 200-line traceback ending in
    "permission denied for schema public" and the CREATE TABLE statement."""
    _, service_url = unmigrated_setup
    code, err = await asyncio.to_thread(_migrate, _env(DMI_DATABASE_URL=service_url))
    assert code == 1, err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith("dmi-api: ")
    assert "permission denied for schema public" in err
    assert "DMI_MIGRATION_DATABASE_URL" in err
    assert PASSWORD not in err


@pytest.mark.postgres_only
async def test_a_database_name_that_makes_no_role_name_is_one_line(
    pg_server: PgServer,
) -> None:
    """The group role defaults to `<database>_app`: a database name that makes no plain role
    name stopped `dmi-api migrate` with a traceback around its RuntimeError."""
    name = f"dmi.scratch.{uuid.uuid4().hex[:10]}"
    await _admin_execute(pg_server.admin_url, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(pg_server.admin_url).set(database=name)
        env = _env(DMI_DATABASE_URL=url.render_as_string(hide_password=False))
        code, err = await asyncio.to_thread(_migrate, env)
    finally:
        await _admin_execute(pg_server.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith("dmi-api: ")
    assert "DMI_DB_APP_ROLE" in err
