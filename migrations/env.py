"""Alembic environment: async engines, batch mode on SQLite, URL from the service settings."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from dmi_api.config import load_settings
from dmi_api.migrate import include_object
from dmi_api.models import metadata

config = context.config
# The key of the advisory lock every `dmi-api migrate` takes on PostgreSQL before it reads the
# schema's revision: replicas migrating at once (DMI_MIGRATE_ON_START=1) run one after another,
# and the later ones find the schema at head. Any fixed bigint, unique to this service.
MIGRATION_LOCK_KEY = 0x646D695F6D696772  # "dmi_migr"
# How long a migration of the embedded SQLite file waits for another one's to end.
SQLITE_MIGRATION_WAIT_MS = 300_000
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else load_settings().database_url_value


def _app_role() -> str | None:
    # Called from code (dmi-api migrate, tests): the caller says; from the alembic CLI: settings.
    if "database_url" in config.attributes:
        role = config.attributes.get("app_role")
        return str(role) if role else None
    return load_settings().db_app_role


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        # Every migration in one transaction on SQLite too (Alembic's default there is one per
        # migration, which let two processes interleave between them): `_one_sqlite_transaction`.
        transactional_ddl=True,
        compare_type=True,
        compare_server_default=True,
        include_object=include_object,
        dmi_app_role=_app_role(),  # read by dmi_api.migration_ops
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Held to the end of the migrations' one transaction (released by its commit).
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


def _one_sqlite_transaction(engine: AsyncEngine) -> None:
    """On SQLite, the migrations run in one transaction that holds the file's write lock from
    its start, as PostgreSQL's run under the advisory lock: pysqlite ran DDL outside any
    transaction, so two processes migrating one file at once interleaved (and could leave two
    rows in alembic_version). Another migration waits for the lock, then finds the file at head."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit transactions: BEGIN is ours
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_MIGRATION_WAIT_MS:d}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def _run_async() -> None:
    engine = create_async_engine(_database_url(), poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        _one_sqlite_transaction(engine)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Connect with the async driver and run the migrations in one transaction."""
    asyncio.run(_run_async())


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
