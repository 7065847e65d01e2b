"""Database engine and sessions: asyncpg for PostgreSQL, aiosqlite for the embedded default."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy.exc as sa_exc
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from dmi_api.config import Settings

DbSessionMaker = async_sessionmaker[AsyncSession]


# An execution option: on SQLite, the transaction will write and begins with BEGIN IMMEDIATE
# (see `_create_sqlite_engine`). The app's sessions set it (`create_sessionmaker`).
WRITES = "dmi_writes"
_LONG_POOL_SIZE = 2  # connections per worker for long work (`long_running`): rare by nature


def create_engine(
    settings: Settings, *, long_running: bool = False, long_pool_size: int = _LONG_POOL_SIZE
) -> AsyncEngine:
    """Build the application's async engine for the configured database.

    `long_running`: an engine of its own for work that is long by nature (exports), with
    `DMI_DB_LONG_STATEMENT_TIMEOUT_MS` instead of the request timeout and a small pool of
    `long_pool_size` connections.
    """
    url = make_url(settings.database_url_value)
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, settings)
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "asyncpg":
        raise ValueError("database URL must use postgresql+asyncpg:// or sqlite+aiosqlite://")
    statement_timeout_ms = (
        settings.db_long_statement_timeout_ms if long_running else settings.db_statement_timeout_ms
    )
    engine = create_async_engine(
        url,
        pool_size=long_pool_size if long_running else settings.db_pool_size,
        max_overflow=0 if long_running else settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # No pre-ping: it costs three round trips per request. A connection the server closed
        # is seen closed at checkout (`_drop_closed`) and replaced, without a round trip.
        pool_recycle=1800,
        # JSON columns decoded by orjson (the standard library's decoder was a fifth of a bulk
        # export's time: bench/README.md "Bulk export"); the values are the same.
        json_deserializer=orjson.loads,
        # Parameters can carry PHI; they must never reach an exception message or a log.
        hide_parameters=True,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": driver_timeout_seconds(statement_timeout_ms),
            "server_settings": server_settings(
                settings, "dmi-api-long" if long_running else "dmi-api", statement_timeout_ms
            ),
        },
    )
    event.listen(engine.sync_engine, "checkout", _drop_closed)
    event.listen(engine.sync_engine, "invalidate", _abort_unanswering)
    return engine


def server_settings(settings: Settings, application_name: str, timeout_ms: int) -> dict[str, str]:
    """A session's timeouts: a statement, a wait for a lock, an idle open transaction."""
    return {
        "application_name": application_name,
        "statement_timeout": str(timeout_ms),
        # A lock held elsewhere fails the statement fast (503), not at the statement timeout.
        "lock_timeout": str(min(settings.db_lock_timeout_ms, timeout_ms)),
        "idle_in_transaction_session_timeout": str(max(timeout_ms * 2, 60_000)),
    }


def driver_timeout_seconds(statement_timeout_ms: int) -> float:
    """The client-side bound of a statement, for a server that stops answering: just after
    the server's own `statement_timeout`, which fails it more cleanly (the connection stays)."""
    return statement_timeout_ms / 1000 + 0.5


def _drop_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # The server ended this idle connection (restart, pg_terminate_backend, a proxy): the
    # driver saw the socket close. Raising here makes the pool replace it and check out again,
    # instead of the request failing on it; no round trip.
    if dbapi_connection.driver_connection.is_closed():
        raise sa_exc.DisconnectionError("the pooled connection was closed by the server")


def _abort_unanswering(dbapi_connection: Any, _record: Any, exception: Any) -> None:
    # A connection dropped because the server stopped answering (the driver's timeout):
    # SQLAlchemy would first say goodbye and wait up to 2 s for the server to hear it, while
    # the request waits for its 503. Abort the socket now; the goodbye then returns at once.
    cause = getattr(exception, "orig", None) or exception
    if isinstance(cause, TimeoutError | OSError) and dbapi_connection is not None:
        dbapi_connection.driver_connection.terminate()


def make_private_sqlite_file(url: str | URL) -> None:
    """Create the embedded database's file readable by this account alone (0600), before SQLite
    creates it under the process's umask (0644 for the usual 022): it holds children's records.
    SQLite gives its -wal and -shm files the database file's mode. A file that exists is left,
    and one that cannot be made is SQLite's to report, as before."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    with contextlib.suppress(OSError):
        os.close(os.open(url.database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _create_sqlite_engine(url: URL, settings: Settings) -> AsyncEngine:
    # A writer waits for the file's write lock up to the request's timeout (not fail at once).
    busy_timeout_ms = settings.db_statement_timeout_ms
    engine = create_async_engine(
        url,
        hide_parameters=True,
        connect_args={"timeout": busy_timeout_ms / 1000},
        pool_pre_ping=True,
        json_deserializer=orjson.loads,
    )

    @event.listens_for(engine.sync_engine, "do_connect")
    def _before_connect(*_: Any) -> None:
        # Made private when first opened, not when the engine is built: an engine that never
        # connects (`dmi-api openapi`) leaves no empty file behind.
        make_private_sqlite_file(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's implicit transactions break SAVEPOINT; BEGIN is emitted explicitly below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        if url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A transaction that reads, then writes, cannot wait for the write lock once another
        # writer committed after its read began (SQLITE_BUSY at once, busy timeout or not):
        # one that will write takes the lock first, so concurrent writers queue instead;
        # a read-only one (no `WRITES`) begins deferred and does not hold writers up.
        writes = connection.get_execution_options().get(WRITES, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def migrations_dir() -> Path:
    """The migrations folder: bundled in the wheel, or at the root of a checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "migrations", package.parents[1] / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("migrations folder not found beside the package or in the checkout")


@cache
def _revisions() -> tuple[str, frozenset[str]]:
    script = ScriptDirectory(str(migrations_dir()))
    return script.get_current_head() or "", frozenset(r.revision for r in script.walk_revisions())


async def load_revisions() -> None:
    """Read the migrations once per process, off the event loop (~0.1 s of module loading)."""
    await asyncio.to_thread(_revisions)


class SchemaBehindError(ConnectionError):
    """The database's schema is older than this code's (`dmi-api migrate` has not run)."""


def check_schema_revision(revision: str | None) -> None:
    """Raise `SchemaBehindError` unless the database is at this code's newest migration, or at
    one this code does not know (a newer version migrated it: a rolling deploy's old replicas
    keep serving)."""
    head, known = _revisions()
    if revision is None or (revision != head and revision in known):
        raise SchemaBehindError("the database's schema is behind this version")


class EngineReadiness:
    """Readiness of the embedded database: its schema's revision, read on a connection of its
    own, is this code's (`check_schema_revision`)."""

    def __init__(self, settings: Settings) -> None:
        # NullPool: a connection per probe, never one a request holds or waits for.
        self._engine = create_async_engine(
            make_url(settings.database_url_value), poolclass=NullPool
        )
        self._timeout = settings.readyz_timeout_seconds

    async def check(self) -> None:
        """Return when the database answers within the timeout; raise otherwise."""
        await load_revisions()
        async with asyncio.timeout(self._timeout), self._engine.connect() as conn:
            found = await conn.execute(text("SELECT version_num FROM alembic_version"))
            check_schema_revision(found.scalar())

    async def close(self) -> None:
        """Nothing stays open between probes; dispose of the engine all the same."""
        await self._engine.dispose()


def create_sessionmaker(bind: Any) -> DbSessionMaker:
    """Sessions that keep loaded rows usable after commit (responses are built from them).

    On SQLite their transactions take the write lock as they begin (`WRITES`): every request
    writes, a read too (its audit event, at commit), and one that read first could not wait
    for the lock once another request committed (SQLITE_BUSY at once): they queue instead.
    """
    options = {WRITES: True} if bind.dialect.name == "sqlite" else {}
    return async_sessionmaker(
        bind=bind, expire_on_commit=False, autoflush=False, execution_options=options
    )


# Connection, resources, operator intervention (statement timeout, shutdown); a lock not
# obtained within `lock_timeout` (55P03), or given up to break a deadlock (40P01), and a
# serialization failure (40001): the transaction was rolled back and a retry can succeed.
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57", "55P03", "40P01", "40001")


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether an exception means the database cannot serve now (retry later), not a bug."""
    if isinstance(exc, sa_exc.TimeoutError | TimeoutError | asyncio.TimeoutError | OSError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if isinstance(sqlstate, str):
            return sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
        cause = exc.orig.__cause__ if exc.orig is not None else None
        return isinstance(exc, sa_exc.OperationalError) or (
            cause is not None and is_database_unavailable(cause)
        )
    return False


# A table, column or function this code needs is missing: the schema is older than the code
# (`dmi-api migrate` has not run). PostgreSQL's SQLSTATEs, and SQLite's messages.
SCHEMA_BEHIND_SQLSTATES = ("42P01", "42703", "42883")


def is_schema_behind(exc: BaseException) -> bool:
    """Whether an exception means the database's schema is missing or older than this code."""
    if isinstance(exc, SchemaBehindError):
        return True
    cause = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if isinstance(sqlstate, str):
        return sqlstate in SCHEMA_BEHIND_SQLSTATES
    return isinstance(exc, sa_exc.OperationalError | sqlite3.OperationalError) and str(
        cause
    ).startswith(("no such table", "no such column", "no such function"))
