"""Indexes for the children's name search (a case-insensitive prefix within a clinic).

Revision ID: 5d2e8b1f7a40
Revises: 3a7c9e2f4b18
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "5d2e8b1f7a40"
down_revision: str | None = "3a7c9e2f4b18"
branch_labels = None
depends_on = None

_COLUMNS = ("given_name", "family_name")


def upgrade() -> None:
    for column in _COLUMNS:
        op.create_index(
            f"ix_child_clinic_id_lower_{column}",
            "child",
            ["clinic_id", sa.text(f"lower({column})")],
            postgresql_ops={f"lower({column})": "text_pattern_ops"},
        )


def downgrade() -> None:
    for column in _COLUMNS:
        op.drop_index(f"ix_child_clinic_id_lower_{column}", table_name="child")
