"""Two clinic settings of the DMI support-point progression (issue 17), returned by
`dmi_authorize` with the other rule settings.

- `clinic_settings.progress_after_sessions` (1-20, default 3) and
  `clinic_settings.progress_full_percent` (1-100, default 80): an exercise is
  `ready_to_progress` when its last N sessions at the current support point reached X % full
  responses.

Revision ID: 5d8e2a6f1c93
Revises: 9b1f4c7e2a85
Create Date: 2026-12-02 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d8e2a6f1c93"
down_revision: str | None = "9b1f4c7e2a85"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTHORIZE = """
CREATE FUNCTION dmi_authorize(p_clinic uuid, p_client uuid)
RETURNS TABLE (
    active boolean,
    preterm_below_weeks integer,
    correct_until_months integer,
    aims_norms json,
    time_zone text,
    crawling_expected boolean{more}
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('dmi.clinic_id', p_clinic::text, true),
            set_config('dmi.client_id', p_client::text, true);
    RETURN QUERY
        SELECT c.active, s.preterm_below_weeks, s.correct_until_months, s.aims_norms,
               s.time_zone::text, s.crawling_expected{columns}
        FROM api_client AS c
        LEFT JOIN clinic_settings AS s ON s.clinic_id = c.clinic_id
        WHERE c.id = p_client AND c.clinic_id = p_clinic;
END
$$
"""
NEW_RESULT = ",\n    progress_after_sessions integer,\n    progress_full_percent integer"
NEW_COLUMNS = ", s.progress_after_sessions, s.progress_full_percent"
# SQLite's batch mode reflects the altered table only (see 2026-12-02_record_warnings).
ONLY_THIS_TABLE = {"resolve_fks": False}


def _authorize(*, with_new_settings: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # A function's result type cannot be replaced: drop it and create it again.
    op.execute("DROP FUNCTION dmi_authorize(uuid, uuid)")
    op.execute(
        AUTHORIZE.format(
            more=NEW_RESULT if with_new_settings else "",
            columns=NEW_COLUMNS if with_new_settings else "",
        )
    )


def upgrade() -> None:
    # Existing rows take the defaults; the models set them on insert (no server default).
    with op.batch_alter_table("clinic_settings", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.add_column(
            sa.Column("progress_after_sessions", sa.Integer(), nullable=False, server_default="3")
        )
        batch.add_column(
            sa.Column("progress_full_percent", sa.Integer(), nullable=False, server_default="80")
        )
        batch.create_check_constraint(
            op.f("ck_clinic_settings_progress_after_sessions"),
            "progress_after_sessions BETWEEN 1 AND 20",
        )
        batch.create_check_constraint(
            op.f("ck_clinic_settings_progress_full_percent"),
            "progress_full_percent BETWEEN 1 AND 100",
        )
    with op.batch_alter_table("clinic_settings", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.alter_column("progress_after_sessions", server_default=None)
        batch.alter_column("progress_full_percent", server_default=None)
    _authorize(with_new_settings=True)


def downgrade() -> None:
    _authorize(with_new_settings=False)
    with op.batch_alter_table("clinic_settings", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.drop_constraint(op.f("ck_clinic_settings_progress_full_percent"), type_="check")
        batch.drop_constraint(op.f("ck_clinic_settings_progress_after_sessions"), type_="check")
        batch.drop_column("progress_full_percent")
        batch.drop_column("progress_after_sessions")
