"""DDL that migrations share: the application role, grants and row-level security (PostgreSQL)."""

from __future__ import annotations

import re

from alembic import op
from sqlalchemy import text

from dmi_api.config import ConfigurationError

# The group role the service's login role belongs to is one per database (README: Running on
# PostgreSQL): `DMI_DB_APP_ROLE`, else `<database>_app`. The first migration records the name in
# the database (the function `dmi_app_role()`), and every later grant reads it from there, so a
# change of the setting never splits one database's grants across two roles.
APP_ROLE_OPTION = "dmi_app_role"
# Databases migrated before the name was recorded granted to this cluster-wide role; they keep it.
LEGACY_APP_ROLE = "dmi_app"
APP_ROLE_SUFFIX = "_app"
# A plain identifier of at most 63 bytes (PostgreSQL would silently truncate a longer one).
ROLE_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,62}")
CLINIC_SETTING = "dmi.clinic_id"
CLIENT_SETTING = "dmi.client_id"


class MigrationRefusedError(RuntimeError):
    """A migration found rows it cannot carry over and changed nothing; the message (ids and
    counts only) says what to correct. `dmi-api migrate` prints it as one line."""


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _quote(name: str) -> str:
    return op.get_bind().dialect.identifier_preparer.quote(name)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _recorded_app_role() -> str | None:
    bind = op.get_bind()
    if bind.execute(text("SELECT to_regprocedure('dmi_app_role()')")).scalar() is None:
        return None
    recorded: str = bind.execute(text("SELECT dmi_app_role()")).scalar_one()
    return recorded


def _chosen_app_role() -> str:
    configured = op.get_context().opts.get(APP_ROLE_OPTION)
    if configured:
        name = str(configured)
        source = "DMI_DB_APP_ROLE"
    else:
        database = op.get_bind().execute(text("SELECT current_database()")).scalar_one()
        name = f"{database}{APP_ROLE_SUFFIX}"
        source = "the database name + '_app'"
    if not ROLE_NAME_PATTERN.fullmatch(name):
        raise ConfigurationError(
            f"the app group role taken from {source} is not a plain name of at most 63 "
            "characters (letters, digits, _ and -); set DMI_DB_APP_ROLE"
        )
    return name


def app_role() -> str:
    """This database's app group role: recorded by the first migration, else the legacy one."""
    return _recorded_app_role() or LEGACY_APP_ROLE


def create_app_role_and_functions() -> None:
    """The group role (recorded), and the functions policies use to read the settings."""
    if not _is_postgres():
        return
    role = _recorded_app_role() or _chosen_app_role()
    # The setup script creates the role; an owner allowed to create roles may create it here.
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(role)}) THEN
                CREATE ROLE {_quote(role)} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
        END $$
        """
    )
    body = f"SELECT {_literal(role)}::text"
    op.execute(
        "CREATE OR REPLACE FUNCTION dmi_app_role() RETURNS text LANGUAGE sql IMMUTABLE AS "
        + _literal(body)
    )
    for name, setting in (
        ("dmi_current_clinic", CLINIC_SETTING),
        ("dmi_current_client", CLIENT_SETTING),
    ):
        # An unset or empty setting means "no tenant": NULL matches no row.
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS uuid LANGUAGE sql STABLE AS "
            f"$$ SELECT NULLIF(current_setting('{setting}', true), '')::uuid $$"
        )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {_quote(role)}")


def drop_functions() -> None:
    """Undo `create_app_role_and_functions` (the cluster-wide role stays)."""
    if not _is_postgres():
        return
    op.execute("DROP FUNCTION IF EXISTS dmi_app_role()")
    op.execute("DROP FUNCTION IF EXISTS dmi_current_clinic()")
    op.execute("DROP FUNCTION IF EXISTS dmi_current_client()")


def grant(table: str, privileges: str) -> None:
    """Grant the application role exactly these privileges on a table."""
    if _is_postgres():
        op.execute(f"GRANT {privileges} ON {table} TO {_quote(app_role())}")


def tenant_policy(
    table: str, *, using: str = "clinic_id = dmi_current_clinic()", check: str | None = None
) -> None:
    """Row-level security: the app role sees and writes only the current clinic's rows."""
    if not _is_postgres():
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} USING ({using}) WITH CHECK ({check or using})"
    )


def drop_tenant_policy(table: str) -> None:
    """Undo `tenant_policy`."""
    if _is_postgres():
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def append_only_policy(table: str) -> None:
    """RLS for an append-only table: read own clinic's rows, append own or clinic-less rows."""
    if not _is_postgres():
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_read ON {table} FOR SELECT USING (clinic_id = dmi_current_clinic())"
    )
    op.execute(
        f"CREATE POLICY tenant_append ON {table} FOR INSERT "
        "WITH CHECK (clinic_id IS NULL OR clinic_id = dmi_current_clinic())"
    )
