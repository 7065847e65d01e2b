"""DIRFloortime (issue 17): the caregiver's daily Floortime target of a child.

- `child.floortime_target` (JSON, nullable): `{sessions_per_day, minutes_per_session}`.

Revision ID: 6a3d9f2b7e41
Revises: 8e4b1d7c3f26
Create Date: 2026-12-02 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6a3d9f2b7e41"
down_revision: str | None = "8e4b1d7c3f26"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("child", sa.Column("floortime_target", sa.JSON(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column itself (3.35+); batch mode would rebuild the table from a
        # reflection that cannot hold the name search's expression indexes.
        op.execute("ALTER TABLE child DROP COLUMN floortime_target")
    else:
        op.drop_column("child", "floortime_target")
