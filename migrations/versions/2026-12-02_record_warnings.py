"""Warnings on assessments and milestones (issue 17): what the clinician should look at again.

Each row keeps its warnings (`[{code, detail, pointer}]`, rule `record-warnings@1`) beside its
scores. Rows written before this revision start with none: `dmi-api assessments rescore` (run
after an upgrade) computes them.

Revision ID: 9b1f4c7e2a85
Revises: 7e3a9c1d5b62
Create Date: 2026-12-02 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b1f4c7e2a85"
down_revision: str | None = "7e3a9c1d5b62"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("assessment", "milestone")
# SQLite's batch mode reflects the table; not the child table its foreign key names, whose
# expression indexes (the name search) SQLite cannot reflect.
ONLY_THIS_TABLE = {"resolve_fks": False}


def upgrade() -> None:
    for table in TABLES:
        # The default fills the existing rows; the application writes every new row's list.
        with op.batch_alter_table(table, reflect_kwargs=ONLY_THIS_TABLE) as batch:
            batch.add_column(
                sa.Column("warnings", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
            )
        with op.batch_alter_table(table, reflect_kwargs=ONLY_THIS_TABLE) as batch:
            batch.alter_column("warnings", server_default=None)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, reflect_kwargs=ONLY_THIS_TABLE) as batch:
            batch.drop_column("warnings")
