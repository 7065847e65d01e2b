"""A client's own rate limit (issue 18): `api_client.rate_limit_per_minute`, in cost units a
minute, NULL for the service default (`DMI_RATE_LIMIT_PER_MINUTE`). Tokens carry it, so that
no request looks it up.

Revision ID: 3c7b9e2d4f18
Revises: b15b8819b4e0
Create Date: 2026-12-04 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c7b9e2d4f18"
down_revision: str | None = "b15b8819b4e0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode reflects the table; not the tables its foreign keys name.
ONLY_THIS_TABLE = {"resolve_fks": False}


def upgrade() -> None:
    with op.batch_alter_table("api_client", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.add_column(sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_api_client_rate_limit_per_minute"),
            "rate_limit_per_minute IS NULL OR rate_limit_per_minute BETWEEN 1 AND 100000000",
        )


def downgrade() -> None:
    with op.batch_alter_table("api_client", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.drop_constraint(op.f("ck_api_client_rate_limit_per_minute"), type_="check")
        batch.drop_column("rate_limit_per_minute")
