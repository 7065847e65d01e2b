"""A delivery's last answer's `Retry-After`: `webhook_delivery.last_retry_after_seconds`, the
wait a receiver's 429 or 503 asked for, in seconds (NULL: none asked). Its next attempt is no
sooner than that (capped), and the delivery log shows why it is later than the schedule.

Revision ID: 9d4e2a7c1b36
Revises: 7f3a9c1e5b24
Create Date: 2026-12-07 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4e2a7c1b36"
down_revision: str | None = "7f3a9c1e5b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode reflects the table; not the tables its foreign keys name.
ONLY_THIS_TABLE = {"resolve_fks": False}


def upgrade() -> None:
    with op.batch_alter_table("webhook_delivery", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.add_column(sa.Column("last_retry_after_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_delivery", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.drop_column("last_retry_after_seconds")
