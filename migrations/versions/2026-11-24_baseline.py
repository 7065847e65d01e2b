"""Baseline: the empty schema every later migration builds on.

Revision ID: 0a1b2c3d4e5f
Revises:
Create Date: 2026-11-24 16:30:00
"""

from collections.abc import Sequence

revision: str = "0a1b2c3d4e5f"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet: tables arrive with the features that own them."""


def downgrade() -> None:
    """Nothing to undo."""
