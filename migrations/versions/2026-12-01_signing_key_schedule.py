"""Signing keys published before they sign (issue 19): `signing_key.signs_from`.

A rotation publishes its key at once (it verifies, and the JWKS lists it) and signs with it only
from `signs_from`, once every worker and replica has loaded it. Existing keys signed from their
creation.

Revision ID: 4d2b8f6e1a73
Revises: 9a4c7e2b5d31
Create Date: 2026-12-01 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4d2b8f6e1a73"
down_revision: str | None = "9a4c7e2b5d31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("signing_key") as batch:
        batch.add_column(sa.Column("signs_from", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE signing_key SET signs_from = created_at")
    with op.batch_alter_table("signing_key") as batch:
        batch.alter_column("signs_from", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("signing_key") as batch:
        batch.drop_column("signs_from")
