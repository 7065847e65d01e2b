"""Exports left without a job queued again (PostgreSQL): an unfinished export whose
`bulk_export` job is gone (it gave up while the database was out of reach) and whose row has not
moved since the given moment is set back to queued and gets a job again. A SECURITY DEFINER
function, as the pruning one: the app role sees one clinic at a time, the upkeep sees all.

Revision ID: 7f3a9c1e5b24
Revises: 5e1d0c4b7a92
Create Date: 2026-12-06 09:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from dmi_api import migration_ops as ops

revision: str = "7f3a9c1e5b24"
down_revision: str | None = "5e1d0c4b7a92"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A job of the export, queued or picked: `dmi-api worker` has it (a dead worker's job is picked
# again by the job library), so the export is not orphaned.
REQUEUE = """
CREATE FUNCTION dmi_requeue_bulk_exports(p_before timestamptz)
RETURNS TABLE (clinic_id uuid, id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH orphaned AS (
        UPDATE bulk_export e SET status = 'queued', progress = NULL, updated_at = now()
        WHERE e.status IN ('queued', 'running') AND e.updated_at < p_before
          AND NOT EXISTS (
              SELECT 1 FROM pgqueuer q
              WHERE q.entrypoint = 'bulk_export'
                AND q.payload = convert_to(e.clinic_id::text || ' ' || e.id::text, 'UTF8'))
        RETURNING e.clinic_id, e.id
    ), jobs AS (
        INSERT INTO pgqueuer (priority, entrypoint, payload, status)
        SELECT 0, 'bulk_export', convert_to(o.clinic_id::text || ' ' || o.id::text, 'UTF8'),
               'queued'
        FROM orphaned o
    )
    SELECT o.clinic_id, o.id FROM orphaned o
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(REQUEUE)
    op.execute("REVOKE ALL ON FUNCTION dmi_requeue_bulk_exports(timestamptz) FROM PUBLIC")
    op.execute(
        "GRANT EXECUTE ON FUNCTION dmi_requeue_bulk_exports(timestamptz) TO " + ops.app_role()
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION dmi_requeue_bulk_exports(timestamptz)")
