"""Running Alembic migrations from the service (CLI, embedded default, tests)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config

from dmi_api.db import make_private_sqlite_file, migrations_dir

__all__ = ["alembic_config", "downgrade", "include_object", "migrations_dir", "upgrade_to_head"]

# Tables the job library (pgqueuer) installs through our migration but owns: not our models.
JOB_LIBRARY_PREFIX = "pgqueuer"


def include_object(
    item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter of what the models are compared with: everything but the job
    library's tables (and their indexes) found in the database."""
    table = name if type_ == "table" else getattr(getattr(item, "table", None), "name", None)
    return not (reflected and compare_to is None and (table or "").startswith(JOB_LIBRARY_PREFIX))


def alembic_config(database_url: str | None = None, app_role: str | None = None) -> Config:
    """An Alembic configuration built in code (no alembic.ini needed at run time); `app_role`:
    the group role a new database grants to (None: `<database>_app`)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    config.attributes["configure_logging"] = False
    if database_url is not None:
        config.attributes["database_url"] = database_url
        config.attributes["app_role"] = app_role
    return config


def upgrade_to_head(database_url: str, app_role: str | None = None) -> None:
    """Migrate the database to the newest revision (blocking; call outside an event loop)."""
    make_private_sqlite_file(database_url)
    command.upgrade(alembic_config(database_url, app_role), "head")


def downgrade(database_url: str, revision: str = "base") -> None:
    """Downgrade the database to a revision (blocking; call outside an event loop)."""
    command.downgrade(alembic_config(database_url), revision)
