"""`GET /readyz` reads the schema's revision (`alembic_version`) as the service's role: a replica
whose database is empty or behind its code is not ready (its requests would fail on missing
tables or columns). The app role may read that one row; a database migrated before this grant
is behind this code, and its replicas are rightly not ready until it is migrated.

Revision ID: 3b8f1d6e2c47
Revises: 9d4e2a7c1b36
Create Date: 2026-12-08 09:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from dmi_api import migration_ops as ops

revision: str = "3b8f1d6e2c47"
down_revision: str | None = "9d4e2a7c1b36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ops.grant("alembic_version", "SELECT")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("REVOKE SELECT ON alembic_version FROM " + ops.app_role())  # noqa: S608
