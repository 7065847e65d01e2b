"""The dispatcher attempts its new deliveries itself (issue 15, benchmark): they are born
claimed, leased like any claim, so a delivery's INSERT enqueues a job only when it is due at
once (a `ping`); its later changes while pending (a retry scheduled, a resend, a job's claim and
its lease) enqueue as before. The worker schedules a sweep after the dispatcher's leases end.

Revision ID: 6b8e2d4f9a10
Revises: 3f6a9c1d7e20
Create Date: 2026-11-29 09:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6b8e2d4f9a10"
down_revision: str | None = "3f6a9c1d7e20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXECUTE = "EXECUTE FUNCTION dmi_webhook_enqueue_delivery()"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER webhook_delivery_due ON webhook_delivery")
    op.execute(
        "CREATE TRIGGER webhook_delivery_due_at_once AFTER INSERT ON webhook_delivery "
        "FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.next_attempt_at <= NEW.created_at) "
        + EXECUTE
    )
    op.execute(
        "CREATE TRIGGER webhook_delivery_due "
        "AFTER UPDATE OF status, next_attempt_at ON webhook_delivery "
        "FOR EACH ROW WHEN (NEW.status = 'pending') " + EXECUTE
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER webhook_delivery_due_at_once ON webhook_delivery")
    op.execute("DROP TRIGGER webhook_delivery_due ON webhook_delivery")
    op.execute(
        "CREATE TRIGGER webhook_delivery_due "
        "AFTER INSERT OR UPDATE OF status, next_attempt_at ON webhook_delivery "
        "FOR EACH ROW WHEN (NEW.status = 'pending') " + EXECUTE
    )
