"""DDL that migrations share: the application role, grants and row-level security (PostgreSQL)."""

from __future__ import annotations

from alembic import op

# The group role the service's login role belongs to (README: setting up the roles).
APP_ROLE = "dmi_app"
CLINIC_SETTING = "dmi.clinic_id"
CLIENT_SETTING = "dmi.client_id"


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_app_role_and_functions() -> None:
    """The group role, and the functions policies use to read the per-transaction settings."""
    if not _is_postgres():
        return
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
        END $$
        """
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
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")


def drop_functions() -> None:
    """Undo `create_app_role_and_functions` (the cluster-wide role stays)."""
    if not _is_postgres():
        return
    op.execute("DROP FUNCTION IF EXISTS dmi_current_clinic()")
    op.execute("DROP FUNCTION IF EXISTS dmi_current_client()")


def grant(table: str, privileges: str) -> None:
    """Grant the application role exactly these privileges on a table."""
    if _is_postgres():
        op.execute(f"GRANT {privileges} ON {table} TO {APP_ROLE}")


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
