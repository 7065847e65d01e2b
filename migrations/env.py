"""Alembic environment: async engines, batch mode on SQLite, URL from the service settings."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from dmi_api.config import load_settings
from dmi_api.migrate import include_object
from dmi_api.models import metadata

config = context.config
# The key of the advisory lock every `dmi-api migrate` takes on PostgreSQL before it reads the
# schema's revision: replicas migrating at once (DMI_MIGRATE_ON_START=1) run one after another,
# and the later ones find the schema at head. Any fixed bigint, unique to this service.
MIGRATION_LOCK_KEY = 0x646D695F6D696772  # "dmi_migr"
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


async def _run_async() -> None:
    engine = create_async_engine(_database_url(), poolclass=NullPool)
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
