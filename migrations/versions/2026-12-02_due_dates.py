"""What falls due (issue 17): the clinic's due schedule, and the notices of `assessment.due`.

- `clinic_settings.due_schedule` (JSON, nullable: the published defaults).
- `due_notice` (clinic, child, instrument, due date): written with the `assessment.due` change
  event, so that each due date is announced once across workers; clinic-owned (row-level
  security), its key leading with `clinic_id`.
- `dmi_clinic_ids()`: the clinics, for the scheduled job that looks for due dates (the app role
  sees one clinic at a time).

Revision ID: 8e4b1d7c3f26
Revises: 2c7f9a4e6b10
Create Date: 2026-12-02 16:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dmi_api import migration_ops as ops

revision: str = "8e4b1d7c3f26"
down_revision: str | None = "2c7f9a4e6b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode reflects the altered table only (see 2026-12-02_record_warnings).
ONLY_THIS_TABLE = {"resolve_fks": False}
CLINIC_IDS = """
CREATE FUNCTION dmi_clinic_ids()
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT id FROM clinic ORDER BY id
$$
"""


def upgrade() -> None:
    with op.batch_alter_table("clinic_settings", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.add_column(sa.Column("due_schedule", sa.JSON(), nullable=True))
    op.create_table(
        "due_notice",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("instrument", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "clinic_id", "child_id", "instrument", "due_on", name=op.f("pk_due_notice")
        ),
    )
    ops.grant("due_notice", "SELECT, INSERT, DELETE")
    ops.tenant_policy("due_notice")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CLINIC_IDS)
        op.execute("REVOKE ALL ON FUNCTION dmi_clinic_ids() FROM PUBLIC")
        op.execute("GRANT EXECUTE ON FUNCTION dmi_clinic_ids() TO " + ops.app_role())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION dmi_clinic_ids()")
    ops.drop_tenant_policy("due_notice")
    op.drop_table("due_notice")
    with op.batch_alter_table("clinic_settings", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.drop_column("due_schedule")
