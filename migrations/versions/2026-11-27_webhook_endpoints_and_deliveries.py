"""Webhook endpoints, their deliveries, and the dispatcher's position in each clinic's feed
(issue 15). Every table is the clinic's (row-level security); a delivery goes with its endpoint.

Revision ID: 8d2f5b3e1a70
Revises: 7c1e4a9d2b60
Create Date: 2026-11-27 11:52:49.484120+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dmi_api import migration_ops as ops

revision: str = "8d2f5b3e1a70"
down_revision: str | None = "7c1e4a9d2b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_dispatch",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("tx", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_webhook_dispatch")),
    )
    op.create_table(
        "webhook_endpoint",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disabled_reason", sa.String(length=16), nullable=True),
        sa.Column("secret", sa.String(length=512), nullable=False),
        sa.Column("previous_secret", sa.String(length=512), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_webhook_endpoint_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("clinic_id", "id", name=op.f("pk_webhook_endpoint")),
    )
    op.create_index(
        "ix_webhook_endpoint_clinic_id_created_at",
        "webhook_endpoint",
        ["clinic_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=48), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_latency_ms", sa.Float(), nullable=True),
        sa.Column("last_error_class", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "endpoint_id"],
            ["webhook_endpoint.clinic_id", "webhook_endpoint.id"],
            name=op.f("fk_webhook_delivery_clinic_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("clinic_id", "id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint(
            "clinic_id",
            "endpoint_id",
            "event_id",
            name=op.f("uq_webhook_delivery_clinic_id_endpoint_id_event_id"),
        ),
    )
    op.create_index(
        "ix_webhook_delivery_due", "webhook_delivery", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        "ix_webhook_delivery_endpoint",
        "webhook_delivery",
        ["clinic_id", "endpoint_id", "created_at", "id"],
        unique=False,
    )
    for table, privileges in (
        ("webhook_endpoint", "SELECT, INSERT, UPDATE, DELETE"),
        ("webhook_delivery", "SELECT, INSERT, UPDATE, DELETE"),
        ("webhook_dispatch", "SELECT, INSERT, UPDATE"),
    ):
        ops.grant(table, privileges)
        ops.tenant_policy(table)


def downgrade() -> None:
    for table in ("webhook_endpoint", "webhook_delivery", "webhook_dispatch"):
        ops.drop_tenant_policy(table)
    op.drop_index("ix_webhook_delivery_endpoint", table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_due", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index("ix_webhook_endpoint_clinic_id_created_at", table_name="webhook_endpoint")
    op.drop_table("webhook_endpoint")
    op.drop_table("webhook_dispatch")
