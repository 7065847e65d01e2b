"""Bulk exports (issue 16): a clinic's export requests, one unfinished per client, queued as a
`bulk_export` job of the job library on PostgreSQL when inserted.

Revision ID: 9a4c7e2b5d31
Revises: 6b8e2d4f9a10
Create Date: 2026-11-30 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dmi_api import migration_ops as ops

revision: str = "9a4c7e2b5d31"
down_revision: str | None = "6b8e2d4f9a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = sa.text("status IN ('queued', 'running')")

# The job of a new export: `dmi-api worker` runs it (payload "<clinic id> <export id>").
ENQUEUE_EXPORT = """
CREATE FUNCTION dmi_bulk_export_enqueue() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO pgqueuer (priority, entrypoint, payload, status)
    VALUES (0, 'bulk_export', convert_to(NEW.clinic_id::text || ' ' || NEW.id::text, 'UTF8'),
            'queued');
    RETURN NULL;
END $$
"""
# Expiry across every clinic (the app role sees one clinic at a time): the rows deleted, their
# ids returned so that the worker deletes their files.
PRUNE = """
CREATE FUNCTION dmi_prune_bulk_exports(p_before timestamptz)
RETURNS TABLE (clinic_id uuid, id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM bulk_export e WHERE e.expires_at <= p_before RETURNING e.clinic_id, e.id
$$
"""


def upgrade() -> None:
    op.create_table(
        "bulk_export",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.String(length=200), nullable=True),
        sa.Column("transaction_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("output", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_bulk_export_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("clinic_id", "id", name=op.f("pk_bulk_export")),
    )
    op.create_index(
        "ix_bulk_export_clinic_id_created_at",
        "bulk_export",
        ["clinic_id", "created_at", "id"],
        unique=False,
    )
    op.create_index("ix_bulk_export_expires_at", "bulk_export", ["expires_at"], unique=False)
    op.create_index(
        "uq_bulk_export_clinic_id_client_id_unfinished",
        "bulk_export",
        ["clinic_id", "client_id"],
        unique=True,
        postgresql_where=UNFINISHED,
        sqlite_where=UNFINISHED,
    )
    ops.grant("bulk_export", "SELECT, INSERT, UPDATE, DELETE")
    ops.tenant_policy("bulk_export")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ENQUEUE_EXPORT)
        op.execute(
            "CREATE TRIGGER bulk_export_enqueue AFTER INSERT ON bulk_export "
            "FOR EACH ROW EXECUTE FUNCTION dmi_bulk_export_enqueue()"
        )
        op.execute(PRUNE)
        op.execute("REVOKE ALL ON FUNCTION dmi_prune_bulk_exports(timestamptz) FROM PUBLIC")
        op.execute(
            "GRANT EXECUTE ON FUNCTION dmi_prune_bulk_exports(timestamptz) TO " + ops.app_role()
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER bulk_export_enqueue ON bulk_export")
        op.execute("DROP FUNCTION dmi_bulk_export_enqueue()")
        op.execute("DROP FUNCTION dmi_prune_bulk_exports(timestamptz)")
    ops.drop_tenant_policy("bulk_export")
    op.drop_index("uq_bulk_export_clinic_id_client_id_unfinished", table_name="bulk_export")
    op.drop_index("ix_bulk_export_expires_at", table_name="bulk_export")
    op.drop_index("ix_bulk_export_clinic_id_created_at", table_name="bulk_export")
    op.drop_table("bulk_export")
