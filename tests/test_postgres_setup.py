"""scripts/postgres-setup.sh on the test server: two databases, their service roles walled off."""

from __future__ import annotations

import json
import subprocess

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from dmi_api.app import create_app
from dmi_api.config import Settings
from tests.support.pg_server import PgServer
from tests.support.setup_script import (
    SCRIPT,
    SetUp,
    admin,
    dmi_api,
    dsn,
    libpq_env,
    run_script,
    service_env,
)

pytestmark = pytest.mark.postgres_only


async def _connect(url: str, database: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        dsn(make_url(url).set(database=database).render_as_string(hide_password=False))
    )


class TestIsolation:
    async def test_service_role_cannot_connect_to_another_database(
        self, setup_databases: tuple[SetUp, SetUp]
    ) -> None:
        a, b = setup_databases
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
        self, setup_databases: tuple[SetUp, SetUp], pg_server: PgServer
    ) -> None:
        a, _ = setup_databases
        acl, recorded = await admin(
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
        self, setup_databases: tuple[SetUp, SetUp]
    ) -> None:
        a, _ = setup_databases
        env = service_env(a)
        clinic = dmi_api(env, "clinics", "create", "--name", "Setup Clinic", "--json")
        assert clinic.returncode == 0, clinic.stderr
        clinic_id = json.loads(clinic.stdout)["clinic_id"]
        client = dmi_api(
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


class TestRunAgain:
    async def test_a_second_run_changes_nothing(
        self, setup_databases: tuple[SetUp, SetUp], pg_server: PgServer
    ) -> None:
        a, _ = setup_databases
        query = "SELECT datacl::text FROM pg_database WHERE datname = current_database()"
        before = await admin(pg_server.admin_url, a.name, query)
        again = run_script(pg_server.admin_url, a.name)
        assert (again.owner, again.app_role, again.service) == (a.owner, a.app_role, a.service)
        assert await admin(pg_server.admin_url, a.name, query) == before
        conn = await _connect(a.service_url, a.name)  # its password was left as it was
        await conn.close()

    def test_a_group_role_name_the_migrations_would_refuse(self, pg_server: PgServer) -> None:
        env = libpq_env(pg_server.admin_url) | {
            "DMI_DB_NAME": "unused",
            "DMI_DB_APP_ROLE": "no spaces; please",
            "DMI_DB_OWNER_PASSWORD": "x",
            "DMI_DB_SERVICE_PASSWORD": "x",
        }
        done = subprocess.run(
            ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 2
        assert "DMI_DB_APP_ROLE" in done.stderr
