"""The benchmark database: created if missing, migrated, with a non-superuser app role."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from bench.config import APP_PASSWORD, APP_ROLE, REPO_DIR, VENV_BIN, BenchConfig, asyncpg_dsn
from dmi_api.auth.scopes import ALL_SCOPES

# Every scope the API knows: the benchmark client may call any route.
SCOPES = " ".join(sorted(ALL_SCOPES))


def _maintenance_dsn(config: BenchConfig) -> str:
    return asyncpg_dsn(make_url(config.owner_url).set(database="postgres").render_as_string(False))


async def database_exists(config: BenchConfig) -> bool:
    """Whether this scale's database exists on the server."""
    conn = await asyncpg.connect(_maintenance_dsn(config))
    try:
        name = config.database_name
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def recreate_database(config: BenchConfig, *, drop: bool) -> None:
    """Create this scale's database, dropping it first when `drop` (bench databases only)."""
    name = config.database_name
    if drop and not name.startswith("dmi_bench"):
        raise SystemExit(f"refusing to drop {name!r}: only databases named dmi_bench* are reset")
    conn = await asyncpg.connect(_maintenance_dsn(config))
    try:
        if drop:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(config: BenchConfig) -> None:
    """Drop this scale's database, its sessions ended first (bench databases only)."""
    name = config.database_name
    if not name.startswith("dmi_bench"):
        raise SystemExit(f"refusing to drop {name!r}: only databases named dmi_bench* are dropped")
    conn = await asyncpg.connect(_maintenance_dsn(config))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def migrate(config: BenchConfig) -> None:
    """`dmi-api migrate` as the owner (cheap when already at head)."""
    env = {**os.environ, "DMI_DATABASE_URL": config.owner_url, "DMI_LOG_LEVEL": "WARNING"}
    env.pop("DMI_MIGRATION_DATABASE_URL", None)
    # The group role every bench database grants to, as in the tests (else `<database>_app`).
    env["DMI_DB_APP_ROLE"] = "dmi_app"
    subprocess.run([str(VENV_BIN / "dmi-api"), "migrate"], env=env, check=True, cwd=REPO_DIR)  # noqa: S603


async def ensure_app_role(config: BenchConfig) -> None:
    """A login role subject to row-level security, member of `dmi_app` (as tests/conftest.py)."""
    conn = await asyncpg.connect(asyncpg_dsn(config.owner_url))
    try:
        await conn.execute(
            f"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                    CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}'
                        NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
                END IF;
            END $$
            """
        )
        await conn.execute(f"GRANT dmi_app TO {APP_ROLE}")
    finally:
        await conn.close()


def _admin_cli(config: BenchConfig, *args: str) -> dict[str, Any]:
    env = {**os.environ, "DMI_DATABASE_URL": config.app_url, "DMI_LOG_LEVEL": "WARNING"}
    done = subprocess.run(  # noqa: S603
        [str(VENV_BIN / "dmi-api"), *args, "--json"],
        env=env,
        check=True,
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def create_clinic_and_client(config: BenchConfig) -> dict[str, str]:
    """A clinic and an all-scopes client_secret client, through the operator CLI."""
    clinic = _admin_cli(config, "clinics", "create", "--name", "Bench Pediatric Therapy")
    client = _admin_cli(
        config,
        "clients",
        "create",
        "--clinic",
        clinic["clinic_id"],
        "--name",
        "bench load generator",
        "--scopes",
        SCOPES,
    )
    print(f"created clinic {clinic['clinic_id']} and client {client['client_id']}", file=sys.stderr)
    return {
        "clinic_id": clinic["clinic_id"],
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
    }
