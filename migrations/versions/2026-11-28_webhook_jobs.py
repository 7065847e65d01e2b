"""Webhook jobs (issue 15): pgqueuer's tables, trigger and notify channel (its own install SQL),
and what wakes its workers at commit time.

- A change event of a clinic with an active endpoint enqueues a `webhook_dispatch` job for the
  clinic (one queued job per clinic at a time), a pending delivery a `webhook_deliver` job due
  at its `next_attempt_at` (one queued job per delivery and due time); pgqueuer's trigger
  NOTIFYs its workers when the enqueueing transaction commits.
- `dmi_webhook_sweep()` re-enqueues what no queued job covers (a safety net, run every minute),
  `dmi_prune_webhook_deliveries(before)` deletes finished deliveries and pgqueuer's log past
  the retention. Both read every clinic: SECURITY DEFINER, executable by the app role.

PostgreSQL only (the embedded SQLite default delivers in-process, without jobs). A later
pgqueuer release that changes its schema gets a migration running its `render_converge`.

Revision ID: 3f6a9c1d7e20
Revises: 8d2f5b3e1a70
Create Date: 2026-11-28 09:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op
from pgqueuer.adapters.persistence.schema_ddl import (
    render_enum,
    render_function,
    render_index,
    render_table,
    render_trigger,
    render_uninstall,
)
from pgqueuer.domain.schema.declaration import target
from pgqueuer.domain.settings import DBSettings

from dmi_api import migration_ops as ops

revision: str = "3f6a9c1d7e20"
down_revision: str | None = "8d2f5b3e1a70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_TABLES = ("pgqueuer", "pgqueuer_log", "pgqueuer_schedules", "pgqueuer_statistics")
QUEUE_SEQUENCES = (
    "pgqueuer_id_seq",
    "pgqueuer_log_id_seq",
    "pgqueuer_schedules_id_seq",
    "pgqueuer_statistics_id_seq",
)

# A job's payload is text: the clinic id (dispatch), or `<clinic id> <delivery id>` (deliver).
ENQUEUE_DISPATCH = """
CREATE FUNCTION dmi_webhook_enqueue_dispatch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO pgqueuer (priority, entrypoint, payload, status)
    SELECT 0, 'webhook_dispatch', convert_to(c.clinic_id::text, 'UTF8'), 'queued'
    FROM (SELECT DISTINCT clinic_id FROM new_events) c
    WHERE EXISTS (
        SELECT 1 FROM webhook_endpoint e
        WHERE e.clinic_id = c.clinic_id AND e.status = 'active'
    )
    AND NOT EXISTS (
        SELECT 1 FROM pgqueuer q
        WHERE q.entrypoint = 'webhook_dispatch' AND q.status = 'queued'
          AND q.payload = convert_to(c.clinic_id::text, 'UTF8')
    );
    RETURN NULL;
END $$
"""

ENQUEUE_DELIVERY = """
CREATE FUNCTION dmi_webhook_enqueue_delivery() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    due timestamptz := greatest(coalesce(NEW.next_attempt_at, now()), now());
    body bytea := convert_to(NEW.clinic_id::text || ' ' || NEW.id::text, 'UTF8');
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pgqueuer q
        WHERE q.entrypoint = 'webhook_deliver' AND q.status = 'queued'
          AND q.payload = body AND q.execute_after <= due
    ) THEN
        INSERT INTO pgqueuer (priority, entrypoint, payload, status, execute_after)
        VALUES (0, 'webhook_deliver', body, 'queued', due);
    END IF;
    RETURN NULL;
END $$
"""

SWEEP = """
CREATE FUNCTION dmi_webhook_sweep() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH due AS (
        SELECT convert_to(d.clinic_id::text || ' ' || d.id::text, 'UTF8') AS body
        FROM webhook_delivery d
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
    ), deliver AS (
        INSERT INTO pgqueuer (priority, entrypoint, payload, status)
        SELECT 0, 'webhook_deliver', due.body, 'queued' FROM due
        WHERE NOT EXISTS (
            SELECT 1 FROM pgqueuer q
            WHERE q.entrypoint = 'webhook_deliver' AND q.payload = due.body
              AND q.status IN ('queued', 'picked')
        )
        RETURNING 1
    ), behind AS (
        SELECT DISTINCT e.clinic_id
        FROM webhook_endpoint e
        LEFT JOIN webhook_dispatch p ON p.clinic_id = e.clinic_id
        WHERE e.status = 'active' AND EXISTS (
            SELECT 1 FROM change_event c
            WHERE c.clinic_id = e.clinic_id
              AND (c.tx, c.seq) > (coalesce(p.tx, 0), coalesce(p.seq, 0))
        )
    ), dispatch AS (
        INSERT INTO pgqueuer (priority, entrypoint, payload, status)
        SELECT 0, 'webhook_dispatch', convert_to(b.clinic_id::text, 'UTF8'), 'queued' FROM behind b
        WHERE NOT EXISTS (
            SELECT 1 FROM pgqueuer q
            WHERE q.entrypoint = 'webhook_dispatch' AND q.status = 'queued'
              AND q.payload = convert_to(b.clinic_id::text, 'UTF8')
        )
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM deliver) + (SELECT count(*) FROM dispatch)
$$
"""

PRUNE_DELIVERIES = """
CREATE FUNCTION dmi_prune_webhook_deliveries(p_before timestamptz) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH gone AS (
        DELETE FROM webhook_delivery
        WHERE status IN ('succeeded', 'failed') AND updated_at < p_before RETURNING 1
    ), log AS (
        DELETE FROM pgqueuer_log WHERE created < p_before RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM log)
$$
"""

FUNCTIONS = (
    ("dmi_webhook_sweep()", SWEEP),
    ("dmi_prune_webhook_deliveries(timestamptz)", PRUNE_DELIVERIES),
)


def _install_queue() -> None:
    """pgqueuer's own install statements, one at a time (its default names and channel)."""
    settings = DBSettings()
    schema = target(settings)
    for statement in (
        *(render_enum(entry, settings) for entry in schema.enums),
        *(render_table(entry, settings) for entry in schema.tables),
        *(render_index(entry, settings) for entry in schema.indexes),
        *(render_function(entry, settings) for entry in schema.functions),
        *(render_trigger(entry, settings) for entry in schema.triggers),
    ):
        op.get_bind().exec_driver_sql(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _install_queue()
    role = ops.app_role()
    for table in QUEUE_TABLES:
        ops.grant(table, "SELECT, INSERT, UPDATE, DELETE")
    for sequence in QUEUE_SEQUENCES:
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {role}")
    op.execute(ENQUEUE_DISPATCH)
    op.execute(
        "CREATE TRIGGER webhook_dispatch_wanted AFTER INSERT ON change_event "
        "REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT "
        "EXECUTE FUNCTION dmi_webhook_enqueue_dispatch()"
    )
    op.execute(ENQUEUE_DELIVERY)
    op.execute(
        "CREATE TRIGGER webhook_delivery_due "
        "AFTER INSERT OR UPDATE OF status, next_attempt_at ON webhook_delivery "
        "FOR EACH ROW WHEN (NEW.status = 'pending') "
        "EXECUTE FUNCTION dmi_webhook_enqueue_delivery()"
    )
    for signature, body in FUNCTIONS:
        op.execute(body)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for signature, _ in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP TRIGGER IF EXISTS webhook_delivery_due ON webhook_delivery")
    op.execute("DROP FUNCTION IF EXISTS dmi_webhook_enqueue_delivery()")
    op.execute("DROP TRIGGER IF EXISTS webhook_dispatch_wanted ON change_event")
    op.execute("DROP FUNCTION IF EXISTS dmi_webhook_enqueue_dispatch()")
    for statement in render_uninstall(DBSettings()).splitlines():
        op.get_bind().exec_driver_sql(statement)
