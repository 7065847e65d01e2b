"""Change events: a row written with every change, in its transaction (issue 15).

`change_event` is append-only for the app role (read its clinic's, append its clinic's), keyed
by `(clinic_id, id)`; the feed reads `(clinic_id, tx, seq)` in order. `seq` comes from the
sequence `change_event_seq` (PostgreSQL), `tx` is the writing transaction's id. Pruning past the
retention runs as `dmi_prune_change_events(before)`, a SECURITY DEFINER function (the app role
has no DELETE on the table, and one call prunes every clinic).

Revision ID: 7c1e4a9d2b60
Revises: 5d2e8b1f7a40
Create Date: 2026-11-27 12:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dmi_api import migration_ops as ops

revision: str = "7c1e4a9d2b60"
down_revision: str | None = "5d2e8b1f7a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRUNE = """
CREATE FUNCTION dmi_prune_change_events(p_before timestamptz) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH gone AS (DELETE FROM change_event WHERE occurred_at < p_before RETURNING 1)
    SELECT count(*) FROM gone
$$
"""


def upgrade() -> None:
    op.create_table(
        "change_event",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tx", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("child_id", sa.Uuid(), nullable=True),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", "id", name=op.f("pk_change_event")),
    )
    op.create_index("ix_change_event_clinic_id_feed", "change_event", ["clinic_id", "tx", "seq"])
    op.create_index("ix_change_event_occurred_at", "change_event", ["occurred_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE change_event_seq AS bigint")
        op.execute(f"GRANT USAGE ON SEQUENCE change_event_seq TO {ops.app_role()}")
        op.execute(PRUNE)
        op.execute("REVOKE ALL ON FUNCTION dmi_prune_change_events(timestamptz) FROM PUBLIC")
        op.execute(
            "GRANT EXECUTE ON FUNCTION dmi_prune_change_events(timestamptz) TO " + ops.app_role()
        )
    ops.grant("change_event", "SELECT, INSERT")
    ops.append_only_policy("change_event")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS dmi_prune_change_events(timestamptz)")
    op.drop_index("ix_change_event_occurred_at", table_name="change_event")
    op.drop_index("ix_change_event_clinic_id_feed", table_name="change_event")
    op.drop_table("change_event")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS change_event_seq")
