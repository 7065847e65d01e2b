"""Databases made by scripts/postgres-setup.sh, as the README's "Running on PostgreSQL" says.

`setup_databases` (a session fixture, registered in tests/conftest.py): databases A and B on the
test server, each with its owner, group role and service role, migrated by `dmi-api migrate` as
the owner; dropped with their roles at the end of the run. A is made by running the README's
block itself; B by the script.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from tests.support.pg_server import PgServer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "postgres-setup.sh"
README = ROOT / "README.md"
PASSWORD = "setup-test-password"


@dataclass(frozen=True)
class SetUp:
    """One database made by the script: its name, roles and the URLs of owner and service."""

    name: str
    owner: str
    app_role: str
    service: str
    owner_url: str
    service_url: str


def psql_dir() -> str:
    """The folder of a psql: on PATH, else beside the server binaries Debian installs."""
    found = shutil.which("psql")
    if found:
        return str(Path(found).parent)
    for psql in sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"), reverse=True):
        return str(psql.parent)
    pytest.fail("psql (the PostgreSQL client) is needed to run scripts/postgres-setup.sh")


def libpq_env(admin_url: str) -> dict[str, str]:
    """The environment of psql for the test server, psql's folder first on PATH."""
    url = make_url(admin_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DMI_", "PG"))}
    env["PATH"] = os.pathsep.join([psql_dir(), env.get("PATH", os.defpath)])
    env |= {"PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432)}
    env |= {"PGUSER": url.username or "postgres", "PGDATABASE": url.database or "postgres"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _made(admin_url: str, name: str, owner_password: str, service_password: str) -> SetUp:
    base = make_url(admin_url).set(database=name)
    owner = base.set(username=f"{name}_owner", password=owner_password)
    service = base.set(username=f"{name}_service", password=service_password)
    return SetUp(
        name=name,
        owner=f"{name}_owner",
        app_role=f"{name}_app",
        service=f"{name}_service",
        owner_url=owner.render_as_string(hide_password=False),
        service_url=service.render_as_string(hide_password=False),
    )


def run_script(admin_url: str, name: str) -> SetUp:
    """Run scripts/postgres-setup.sh for database `name` with its default role names."""
    env = libpq_env(admin_url) | {
        "DMI_DB_NAME": name,
        "DMI_DB_OWNER_PASSWORD": PASSWORD,
        "DMI_DB_SERVICE_PASSWORD": PASSWORD,
    }
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return _made(admin_url, name, PASSWORD, PASSWORD)


def readme_setup_block() -> list[str]:
    """The lines of the first shell block of the README's "Running on PostgreSQL"."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Running on PostgreSQL")
    block = re.search(r"^```sh\n(.*?)^```$", text[start:], re.MULTILINE | re.DOTALL)
    assert block, "no ```sh block in the README's Running on PostgreSQL"
    return block.group(1).splitlines()


def run_readme_setup(admin_url: str, name: str) -> SetUp:
    """Run the README's block top to bottom on the test server, for database `name`.

    Three lines are the reader's own, and the test's here: the first two (which cluster, which
    database name) come from the environment instead, and the last (serve) is left out; the
    `.venv/bin/dmi-api` of a checkout is this interpreter's `dmi-api`."""
    lines = readme_setup_block()
    assert lines[0].startswith("export PGHOST="), lines[0]
    assert lines[1].startswith("export DMI_DB_NAME="), lines[1]
    assert " serve" in lines[-1], lines[-1]
    dmi_api_command = f"{shlex.quote(sys.executable)} -m dmi_api.cli"
    script = "\n".join(lines[2:-1]).replace(".venv/bin/dmi-api", dmi_api_command)
    # The URLs the block exported are the ones the tests then connect with.
    script += '\nprintf "%s\\n" "$DMI_MIGRATION_DATABASE_URL" "$DMI_DATABASE_URL"\n'
    url = make_url(admin_url)
    env = libpq_env(admin_url) | {"DMI_DB_NAME": name, "PGPORT": str(url.port or 5432)}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env | {"DMI_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"README block stopped:\n{done.stdout}\n{done.stderr}"
    owner_url, service_url = done.stdout.splitlines()[-2:]
    return SetUp(
        name=name,
        owner=f"{name}_owner",
        app_role=f"{name}_app",
        service=f"{name}_service",
        owner_url=owner_url,
        service_url=service_url,
    )


def dsn(url: str) -> str:
    """A libpq URL (asyncpg's) from a SQLAlchemy one."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def dmi_api(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dmi_api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def service_env(setup: SetUp) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    return env | {
        "DMI_DATABASE_URL": setup.service_url,
        "DMI_MIGRATION_DATABASE_URL": setup.owner_url,
        "DMI_LOG_LEVEL": "WARNING",
    }


async def admin(admin_url: str, database: str, *statements: str) -> list[object]:
    conn = await asyncpg.connect(
        dsn(make_url(admin_url).set(database=database).render_as_string(hide_password=False))
    )
    try:
        return [await conn.fetchval(statement) for statement in statements]
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def setup_databases(pg_server: PgServer) -> Iterator[tuple[SetUp, SetUp]]:
    """Databases A and B made by the script (and migrated); dropped with their roles after."""
    stem = f"dmi_setup_{uuid.uuid4().hex[:10]}"
    names = (f"{stem}_a", f"{stem}_b")
    try:
        a = run_readme_setup(pg_server.admin_url, names[0])  # migrated by the block
        b = run_script(pg_server.admin_url, names[1])
        migrated = dmi_api(service_env(b), "migrate")
        assert migrated.returncode == 0, migrated.stderr
        yield a, b
    finally:
        statements = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names]
        statements += [
            f'DROP ROLE IF EXISTS "{name}{suffix}"'
            for name in names
            for suffix in ("_service", "_app", "_owner")
        ]
        asyncio.run(admin(pg_server.admin_url, "postgres", *statements))
