"""Database engine and sessions: asyncpg for PostgreSQL, aiosqlite for the embedded default."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy.exc as sa_exc
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from dmi_api.config import Settings

DbSessionMaker = async_sessionmaker[AsyncSession]


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the application's async engine for the configured database."""
    url = make_url(settings.database_url_value)
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url)
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "asyncpg":
        raise ValueError("database URL must use postgresql+asyncpg:// or sqlite+aiosqlite://")
    statement_timeout_ms = settings.db_statement_timeout_ms
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # No pre-ping: it costs three round trips per request. A connection the server dropped
        # fails its request with a 503 (Retry-After) and is discarded; the retry gets a new one.
        pool_recycle=1800,
        # Parameters can carry PHI; they must never reach an exception message or a log.
        hide_parameters=True,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            # A client-side bound as well, for a server that stops answering mid-query.
            "command_timeout": statement_timeout_ms / 1000 + 5,
            "server_settings": {
                "application_name": "dmi-api",
                "statement_timeout": str(statement_timeout_ms),
                "idle_in_transaction_session_timeout": str(max(statement_timeout_ms * 2, 60_000)),
            },
        },
    )


def _create_sqlite_engine(url: URL) -> AsyncEngine:
    engine = create_async_engine(
        url, hide_parameters=True, connect_args={"timeout": 15}, pool_pre_ping=True
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's implicit transactions break SAVEPOINT; BEGIN is emitted explicitly below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def create_sessionmaker(bind: Any) -> DbSessionMaker:
    """Sessions that keep loaded rows usable after commit (responses are built from them)."""
    return async_sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)


_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57")  # connection, resources, operator intervention


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether an exception means the database cannot serve now (retry later), not a bug."""
    if isinstance(exc, sa_exc.TimeoutError | TimeoutError | asyncio.TimeoutError | OSError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if isinstance(sqlstate, str):
            return sqlstate.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)
        cause = exc.orig.__cause__ if exc.orig is not None else None
        return isinstance(exc, sa_exc.OperationalError) or (
            cause is not None and is_database_unavailable(cause)
        )
    return False
