"""scripts/postgres-setup.sh on the test server: two databases, their service roles walled off."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from dmi_api.app import create_app
from dmi_api.config import Settings
from tests.support.pg_server import PgServer

pytestmark = pytest.mark.postgres_only

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "postgres-setup.sh"
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


def _libpq_env(admin_url: str) -> dict[str, str]:
    url = make_url(admin_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DMI_", "PG"))}
    env |= {"PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432)}
    env |= {"PGUSER": url.username or "postgres", "PGDATABASE": url.database or "postgres"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _run_script(admin_url: str, name: str) -> SetUp:
    env = _libpq_env(admin_url) | {
        "DMI_DB_NAME": name,
        "DMI_DB_OWNER_PASSWORD": PASSWORD,
        "DMI_DB_SERVICE_PASSWORD": PASSWORD,
    }
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    base = make_url(admin_url).set(database=name, password=PASSWORD)
    return SetUp(
        name=name,
        owner=f"{name}_owner",
        app_role=f"{name}_app",
        service=f"{name}_service",
        owner_url=base.set(username=f"{name}_owner").render_as_string(hide_password=False),
        service_url=base.set(username=f"{name}_service").render_as_string(hide_password=False),
    )


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _dmi_api(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dmi_api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _service_env(setup: SetUp) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    return env | {
        "DMI_DATABASE_URL": setup.service_url,
        "DMI_MIGRATION_DATABASE_URL": setup.owner_url,
        "DMI_LOG_LEVEL": "WARNING",
    }


async def _admin(admin_url: str, database: str, *statements: str) -> list[object]:
    conn = await asyncpg.connect(
        _dsn(make_url(admin_url).set(database=database).render_as_string(hide_password=False))
    )
    try:
        return [await conn.fetchval(statement) for statement in statements]
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def two_databases(pg_server: PgServer) -> Iterator[tuple[SetUp, SetUp]]:
    """Databases A and B made by the script (and migrated); dropped with their roles after."""
    if shutil.which("psql") is None:
        pytest.fail("psql (PostgreSQL client) is needed on PATH to run scripts/postgres-setup.sh")
    stem = f"dmi_setup_{uuid.uuid4().hex[:10]}"
    names = (f"{stem}_a", f"{stem}_b")
    try:
        made = tuple(_run_script(pg_server.admin_url, name) for name in names)
        for setup in made:
            migrated = _dmi_api(_service_env(setup), "migrate")
            assert migrated.returncode == 0, migrated.stderr
        yield made[0], made[1]
    finally:
        statements = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names]
        statements += [
            f'DROP ROLE IF EXISTS "{name}{suffix}"'
            for name in names
            for suffix in ("_service", "_app", "_owner")
        ]
        asyncio.run(_admin(pg_server.admin_url, "postgres", *statements))


async def _connect(url: str, database: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        _dsn(make_url(url).set(database=database).render_as_string(hide_password=False))
    )


class TestIsolation:
    async def test_service_role_cannot_connect_to_another_database(
        self, two_databases: tuple[SetUp, SetUp]
    ) -> None:
        a, b = two_databases
        for url in (a.service_url, a.owner_url):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await _connect(url, b.name)
        # Nor could it read B's tables if it got in: it is no member of B's group role.
        conn = await _connect(b.owner_url, b.name)
        try:
            for role, expected in ((a.service, False), (b.service, True)):
                can_read = await conn.fetchval(
                    "SELECT has_table_privilege($1, 'public.child', 'SELECT')", role
                )
                assert can_read is expected, role
        finally:
            await conn.close()

    async def test_database_is_closed_to_public(
        self, two_databases: tuple[SetUp, SetUp], pg_server: PgServer
    ) -> None:
        a, _ = two_databases
        acl, recorded = await _admin(
            pg_server.admin_url,
            a.name,
            "SELECT datacl::text FROM pg_database WHERE datname = current_database()",
            "SELECT dmi_app_role()",
        )
        assert recorded == a.app_role  # the migrations granted to the database's own group role
        entries = str(acl).strip("{}").split(",")
        assert not any(entry.startswith("=") for entry in entries), acl  # nothing for PUBLIC
        assert f"{a.app_role}=c/{a.owner}" in entries


class TestServiceRoleServesItsDatabase:
    async def test_app_queries_run_as_the_service_role(
        self, two_databases: tuple[SetUp, SetUp]
    ) -> None:
        a, _ = two_databases
        env = _service_env(a)
        clinic = _dmi_api(env, "clinics", "create", "--name", "Setup Clinic", "--json")
        assert clinic.returncode == 0, clinic.stderr
        clinic_id = json.loads(clinic.stdout)["clinic_id"]
        client = _dmi_api(
            env, "clients", "create", "--clinic", clinic_id, "--name", "EHR",
            "--scopes", "children:read children:write", "--json",
        )  # fmt: skip
        assert client.returncode == 0, client.stderr
        credentials = json.loads(client.stdout)

        settings = Settings(database_url=SecretStr(a.service_url), issuer="http://testserver")
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        ):
            token = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(credentials["client_id"], credentials["client_secret"]),
            )
            assert token.status_code == 200, token.text
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            created = await http.post(
                "/v1/children",
                headers=headers,
                json={
                    "given_name": "Ada",
                    "family_name": "L",
                    "birth_date": "2022-05-01",
                    "sex": "female",
                },
            )
            assert created.status_code == 201, created.text
            listed = await http.get("/v1/children", headers=headers)
            assert listed.status_code == 200, listed.text
            assert [c["id"] for c in listed.json()["data"]] == [created.json()["id"]]
