"""Refused writes in the audit trail (issue 19): the body field and id a write named.

A write refused because its body referenced another clinic's row, a deleted row or no row (422
`reference_not_found`) is audited with the field (`reference_field`, a JSON pointer) and the id it
named (`reference_id`): the probing clinic's trail shows which ids a client tried.

Revision ID: 7e3a9c1d5b62
Revises: 4d2b8f6e1a73
Create Date: 2026-12-01 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e3a9c1d5b62"
down_revision: str | None = "4d2b8f6e1a73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("reference_field", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("reference_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("reference_id")
        batch.drop_column("reference_field")
