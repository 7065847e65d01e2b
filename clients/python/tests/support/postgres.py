"""The PostgreSQL server the tests run on, as the server's own tests find it:
`DMI_TEST_DATABASE_URL`, else 127.0.0.1:5432 as `postgres`, else as `root`. Never skips:
without a server the tests fail and say what was tried."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg  # type: ignore[import-untyped]

ENV_VAR = "DMI_TEST_DATABASE_URL"
APP_GROUP_ROLE = "dmi_app"  # what the server's tests grant to, too
APP_LOGIN_ROLE = "dmi_client_test_app"
APP_LOGIN_PASSWORD = "dmi-client-test-app"


@dataclass(frozen=True)
class Database:
    """The run's database: the owner migrates, the app connects as a role subject to RLS."""

    name: str
    owner_url: str
    app_url: str


def _plain(url: str) -> str:
    for scheme in ("postgresql+asyncpg://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme) :]
    return url


def _run(url: str, *statements: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(_plain(url), timeout=5)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(go())


def admin_url() -> str:
    """A superuser's URL of the `postgres` database."""
    if ENV_VAR in os.environ:
        return _plain(os.environ[ENV_VAR])
    tried = []
    for user in ("postgres", "root"):
        url = f"postgresql://{user}@127.0.0.1:5432/postgres"
        try:
            _run(url, "SELECT 1")
        except (OSError, asyncpg.PostgresError) as exc:
            tried.append(f"{user}@127.0.0.1:5432: {type(exc).__name__}")
            continue
        return url
    raise RuntimeError(f"no PostgreSQL for the client tests ({ENV_VAR} unset; tried {tried})")


def _with_database(
    url: str, name: str, user: str | None = None, password: str | None = None
) -> str:
    _scheme, rest = url.split("://", 1)
    credentials, _, location = rest.rpartition("@")
    host = location.split("/", 1)[0].split("?", 1)[0]
    if user is not None:
        credentials = f"{user}:{password}"
    return f"postgresql+asyncpg://{credentials + '@' if credentials else ''}{host}/{name}"


@contextmanager
def database() -> Iterator[Database]:
    """A fresh database, dropped at the end (the app's login role is the cluster's, kept)."""
    admin = admin_url()
    name = f"dmi_client_{uuid.uuid4().hex[:12]}"
    _run(admin, f'CREATE DATABASE "{name}"')
    try:
        yield Database(
            name,
            owner_url=_with_database(admin, name),
            app_url=_with_database(admin, name, APP_LOGIN_ROLE, APP_LOGIN_PASSWORD),
        )
    finally:
        _run(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ensure_app_role() -> None:
    """The app's login role, a member of the group role the migrations granted to."""
    statement = f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_LOGIN_ROLE}') THEN
                CREATE ROLE {APP_LOGIN_ROLE} LOGIN PASSWORD '{APP_LOGIN_PASSWORD}'
                    NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- made meanwhile
        END $$
    """
    _run(admin_url(), statement, f"GRANT {APP_GROUP_ROLE} TO {APP_LOGIN_ROLE}")
