"""The audit trail and the version history name their clinic by value, not by foreign key.

Both are append-only logs written only by the API, always with the clinic of an authenticated,
active client (and row-level security checks it on insert). A foreign key made every insert
take a row lock (FOR KEY SHARE) on the clinic's row: every audited request of a clinic, reads
included, and every write's kept version. Concurrent requests of one clinic then queued on that
row and PostgreSQL created a multixact for each new locker (benchmark, POST session record,
three interleaved pairs: 0.151-0.158 of the baseline with the keys, 0.165-0.169 without). A log
must also outlive what it names: a key would have blocked removing a clinic, or removed its trail
with it. Other clinic-owned tables keep their keys.

Revision ID: 9b4f2e6a1c55
Revises: 7e2d4c1b9a30
Create Date: 2026-11-25 02:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9b4f2e6a1c55"
down_revision: str | None = "7e2d4c1b9a30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("audit_event", "resource_version")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_clinic_id_clinic", type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                f"fk_{table}_clinic_id_clinic", "clinic", ["clinic_id"], ["id"]
            )
