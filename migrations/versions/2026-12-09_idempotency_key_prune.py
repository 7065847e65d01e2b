"""Idempotency keys past their lifetime are deleted by the daily upkeep: each keeps the answer
it produced (a record's body), and nothing removed them before but the same key sent again.
On PostgreSQL `dmi_prune_idempotency_keys(now)`, a SECURITY DEFINER function (row-level security
shows the app role one clinic's keys; one call prunes every clinic's).

Revision ID: 6a2c9e4f1d83
Revises: 3b8f1d6e2c47
Create Date: 2026-12-09 09:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from dmi_api import migration_ops as ops

revision: str = "6a2c9e4f1d83"
down_revision: str | None = "3b8f1d6e2c47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRUNE = """
CREATE FUNCTION dmi_prune_idempotency_keys(p_now timestamptz) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH gone AS (DELETE FROM idempotency_key WHERE expires_at < p_now RETURNING 1)
    SELECT count(*) FROM gone
$$
"""
SIGNATURE = "dmi_prune_idempotency_keys(timestamptz)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PRUNE)
        op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {ops.app_role()}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
