"""A clinic's own random key for FHIR ids that must not show what they name (privacy audit): a
Condition's id was `{child}.diagnosis.{ICD-10 code}`, a diagnosis in every URL, `fullUrl`,
export line and reference; it is now `{child}.diagnosis.{token}`, the token an HMAC of the child
and the code under `clinic.fhir_id_key` (`fhir.conditions.condition_id`). Each existing clinic
gets its own 32 random bytes here; a new one gets them from the model when it is created.

Revision ID: 9d4e7a1c3b52
Revises: 6a2c9e4f1d83
Create Date: 2026-12-10 09:00:00+00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4e7a1c3b52"
down_revision: str | None = "6a2c9e4f1d83"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_BYTES = 32
# SQLite's batch mode reflects the table; not the tables its foreign keys name.
ONLY_THIS_TABLE = {"resolve_fks": False}


def upgrade() -> None:
    with op.batch_alter_table("clinic", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.add_column(sa.Column("fhir_id_key", sa.LargeBinary(), nullable=True))
    clinic = sa.table("clinic", sa.column("id", sa.Uuid()), sa.column("fhir_id_key"))
    bind = op.get_bind()
    for (clinic_id,) in bind.execute(sa.select(clinic.c.id)).all():
        bind.execute(
            clinic.update()
            .where(clinic.c.id == clinic_id)
            .values(fhir_id_key=secrets.token_bytes(KEY_BYTES))
        )
    with op.batch_alter_table("clinic", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.alter_column("fhir_id_key", existing_type=sa.LargeBinary(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("clinic", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.drop_column("fhir_id_key")
