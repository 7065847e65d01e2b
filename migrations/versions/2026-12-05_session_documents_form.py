"""`session_record.documents_form`: the form its exercises and notes were written in
(`services.session_record_views.DOCUMENTS_FORM` when every object has exactly the API's fields),
so that a bulk export writes them as stored without reading them. Every write sets it. Rows
stored before stay NULL, and are read and checked as before, until an operator runs
`dmi-api sessions mark-documents --clinic ID` (in batches); marking them here would lock the
table for as long as PostgreSQL takes to read every document (33 s for 200,000 records).

Revision ID: 5e1d0c4b7a92
Revises: 3c7b9e2d4f18
Create Date: 2026-12-05 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1d0c4b7a92"
down_revision: str | None = "3c7b9e2d4f18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONLY_THIS_TABLE = {"resolve_fks": False}


def upgrade() -> None:
    with op.batch_alter_table("session_record", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.add_column(sa.Column("documents_form", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("session_record", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.drop_column("documents_form")
