"""Test harness: one real database per run, migrated once; each test in a rolled-back transaction.

`DMI_TEST_BACKEND=postgres` (default) uses `DMI_TEST_DATABASE_URL`, else the server at
127.0.0.1:5432, else a throwaway cluster started here; it never skips silently.
`DMI_TEST_BACKEND=sqlite` runs the portable tests (`-m "not postgres_only"`) on a SQLite file,
but for those that use no database of the run (the PostgreSQL pass runs those once).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from dmi_api.app import create_app
from dmi_api.auth.signing_keys import KeyRing
from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker, create_engine, create_sessionmaker
from dmi_api.direct.bound_db import DirectDb, SharedConnectionSource
from dmi_api.migrate import upgrade_to_head
from dmi_api.security import secrets as client_secrets
from tests.support import probe
from tests.support.direct import serve_with
from tests.support.pg_server import PgServer, resolve_pg_server, stop_pg_server
from tests.support.setup_script import setup_databases  # noqa: F401 (a session fixture)
from tests.support.tcp_proxy import TcpProxy

BACKEND = os.environ.get("DMI_TEST_BACKEND", "postgres")
if BACKEND not in ("postgres", "sqlite"):
    raise pytest.UsageError("DMI_TEST_BACKEND must be postgres or sqlite")


@pytest.fixture(autouse=True)
def _cheap_secret_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Client secrets hashed at a cheap scrypt cost in-process (as Django's test settings use a
    fast hasher): at the production cost every clinic a test makes spent 60 ms of CPU, a quarter
    of the suite. A stored hash records its cost, so verification is the real one; the tests of
    the hashing itself (`real_secret_cost`) and every served subprocess use the real cost."""
    if request.node.get_closest_marker("real_secret_cost") is None:
        monkeypatch.setattr(client_secrets, "HASH_COST", (2**4, 8, 1))


# The fixtures that give a test the run's backend: a test that uses none of them is the same
# test on either, and runs once, in the PostgreSQL pass.
BACKEND_FIXTURES = frozenset({"database", "scratch_url", "pg_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On SQLite, leave out the tests that never touch a database (the clinical rules, the
    contract's text, settings, the tests that bring their own SQLite file): the PostgreSQL pass
    runs them, and here they only repeated it (960 tests when this was written)."""
    if BACKEND != "sqlite":
        return
    kept: list[pytest.Item] = []
    backend_free: list[pytest.Item] = []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        (kept if fixtures & BACKEND_FIXTURES else backend_free).append(item)
    if backend_free:
        config.hook.pytest_deselected(items=backend_free)
        items[:] = kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """On SQLite, a PostgreSQL-only test that slipped through the marker filter is an error."""
    if BACKEND == "sqlite":
        selected = [i.nodeid for i in session.items if i.get_closest_marker("postgres_only")]
        if selected:
            raise pytest.UsageError(
                'SQLite pass needs -m "not postgres_only"; would run: ' + ", ".join(selected[:3])
            )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL server for this run (created if none is reachable)."""
    server = resolve_pg_server()
    yield server
    stop_pg_server(server)


async def _admin_execute(admin_url: str, *statements: str) -> None:
    # CREATE/DROP DATABASE can take longer than a request may.
    engine = create_engine(Settings(database_url=SecretStr(admin_url)), long_running=True)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


APP_LOGIN_ROLE = "dmi_test_app"
APP_LOGIN_PASSWORD = "dmi-test-app"
# Every run's database grants to this one group role (`DMI_DB_APP_ROLE`), rather than to a role
# of its own (`<database>_app`) that the cluster would keep after the run.
APP_GROUP_ROLE = "dmi_app"


@dataclass(frozen=True)
class Database:
    """The run's database: its owner migrates it; the app connects as a role that does not."""

    owner_url: str
    app_url: str


async def _ensure_app_login_role(admin_url: str) -> None:
    # Subject to row-level security: not a superuser, not the owner, no BYPASSRLS.
    await _admin_execute(
        admin_url,
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_LOGIN_ROLE}') THEN
                CREATE ROLE {APP_LOGIN_ROLE} LOGIN PASSWORD '{APP_LOGIN_PASSWORD}'
                    NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END $$
        """,
        f"GRANT {APP_GROUP_ROLE} TO {APP_LOGIN_ROLE}",
    )


@pytest.fixture(scope="session")
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A fresh database for this run, migrated to head with Alembic by its owner."""
    if BACKEND == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite+aiosqlite:///{path}"
        await asyncio.to_thread(upgrade_to_head, url)
        yield Database(owner_url=url, app_url=url)
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"dmi_test_{uuid.uuid4().hex[:12]}"
    await _admin_execute(server.admin_url, f'CREATE DATABASE "{name}"')
    owner = make_url(server.admin_url).set(database=name)
    try:
        owner_url = owner.render_as_string(hide_password=False)
        await asyncio.to_thread(upgrade_to_head, owner_url, APP_GROUP_ROLE)
        await _ensure_app_login_role(server.admin_url)
        app = owner.set(username=APP_LOGIN_ROLE, password=APP_LOGIN_PASSWORD)
        yield Database(
            owner_url=owner_url,
            app_url=app.render_as_string(hide_password=False),
        )
    finally:
        await _admin_execute(server.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(database: Database) -> str:
    """The URL the app connects with (the non-owner role on PostgreSQL)."""
    return database.app_url


@pytest.fixture(scope="session")
def settings(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the app under test (its export files in a directory of the run's own)."""
    return Settings(
        database_url=SecretStr(database.app_url),
        migration_database_url=SecretStr(database.owner_url),
        issuer="http://testserver",
        export_dir=str(tmp_path_factory.mktemp("exports")),
        # The suite makes many requests a minute with one client; the rate limit's own tests
        # give their clients a quota of their own.
        rate_limit_per_minute=100_000_000,
        # Every in-process request comes from one address: its token requests are unbounded.
        token_requests_per_minute=100_000_000,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The engine shared by every test of the run, on a database with a signing key committed
    (as a served database has one after its first request): each test's key ring, in a
    transaction rolled back at its end, would otherwise make its own (70 ms of RSA each)."""
    engine = create_engine(settings)
    await KeyRing(settings, lambda: create_sessionmaker(engine)).current()
    yield engine
    await engine.dispose()


@contextlib.asynccontextmanager
async def rolled_back(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection of `engine` inside a transaction that is rolled back at the end."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        # The driver begins lazily; begin now, so that direct reads on this connection (see
        # `app`) run inside the transaction that is rolled back.
        await connection.execute(text("SELECT 1"))
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
async def db_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with rolled_back(engine) as connection:
        yield connection


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of the run's database that a test can cut, blackhole or pause."""
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.cut()


def build_test_app(settings: Settings) -> FastAPI:
    """The real app plus the test-only probe routes."""
    app = create_app(settings)
    app.include_router(probe.router)
    return app


def reset_app_state(
    app: FastAPI, sessionmaker: DbSessionMaker, direct: DirectDb | None = None
) -> FastAPI:
    """Give a shared app a test's own sessions and caches, as a freshly started worker has;
    `direct`: where its direct reads run (by default the app's own pool, if it has one)."""
    app.state.sessionmaker = sessionmaker
    app.state.keyring = KeyRing(app.state.settings, lambda: app.state.sessionmaker)
    if not hasattr(app.state, "own_direct"):
        app.state.own_direct = app.state.direct
    serve_with(app, direct if direct is not None else app.state.own_direct)
    return app


@pytest.fixture(scope="session")
async def shared_apps(settings: Settings) -> AsyncIterator[dict[str, FastAPI]]:
    """Apps built once per run: FastAPI prepares each route on an app's first requests
    (several milliseconds a route), far too slow to repeat for every test."""
    apps: dict[str, FastAPI] = {}
    yield apps
    for built in apps.values():
        own_direct = getattr(built.state, "own_direct", None)
        if own_direct is not None:
            await own_direct.close()
        await built.state.engine.dispose()


def shared_app(apps: dict[str, FastAPI], name: str, settings: Settings) -> FastAPI:
    if name not in apps:
        apps[name] = build_test_app(settings)
    return apps[name]


@pytest.fixture
async def app(
    settings: Settings, db_connection: AsyncConnection, shared_apps: dict[str, FastAPI]
) -> FastAPI:
    """The app with its sessions bound to the test's transaction (commits become savepoints)."""
    sessionmaker = async_sessionmaker(
        bind=db_connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
    direct = None
    if not settings.is_sqlite:
        # Direct reads run on the test's connection too, inside its transaction.
        async def driver_connection() -> Any:
            raw = await db_connection.get_raw_connection()
            return raw.driver_connection

        direct = DirectDb(SharedConnectionSource(driver_connection))
    app = shared_app(shared_apps, "rollback", settings)
    return reset_app_state(app, sessionmaker, direct)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
