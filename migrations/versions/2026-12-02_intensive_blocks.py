"""Intensive blocks (issue 17): a prescription's block plan, and the clinic setting of how many
weeks after a block a GMFM-88 still measures it (returned by `dmi_authorize` with the other
rule settings).

- `prescription.block` (JSON, nullable): `{days, sessions_per_day, minutes_per_session}`, only
  on `setting: intensive` (checked by the API).
- `clinic_settings.block_followup_weeks` (1-26, default 4).

Revision ID: 2c7f9a4e6b10
Revises: 5d8e2a6f1c93
Create Date: 2026-12-02 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2c7f9a4e6b10"
down_revision: str | None = "5d8e2a6f1c93"
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
    crawling_expected boolean,
    progress_after_sessions integer,
    progress_full_percent integer{more}
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('dmi.clinic_id', p_clinic::text, true),
            set_config('dmi.client_id', p_client::text, true);
    RETURN QUERY
        SELECT c.active, s.preterm_below_weeks, s.correct_until_months, s.aims_norms,
               s.time_zone::text, s.crawling_expected, s.progress_after_sessions,
               s.progress_full_percent{columns}
        FROM api_client AS c
        LEFT JOIN clinic_settings AS s ON s.clinic_id = c.clinic_id
        WHERE c.id = p_client AND c.clinic_id = p_clinic;
END
$$
"""
NEW_RESULT = ",\n    block_followup_weeks integer"
NEW_COLUMNS = ", s.block_followup_weeks"
# SQLite's batch mode reflects the altered table only (see 2026-12-02_record_warnings).
ONLY_THIS_TABLE = {"resolve_fks": False}
CHECK = "ck_clinic_settings_block_followup_weeks"


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
    with op.batch_alter_table("prescription", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.add_column(sa.Column("block", sa.JSON(), nullable=True))
    # Existing rows take the default; the model sets it on insert (no server default).
    with op.batch_alter_table("clinic_settings", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.add_column(
            sa.Column("block_followup_weeks", sa.Integer(), nullable=False, server_default="4")
        )
        batch.create_check_constraint(op.f(CHECK), "block_followup_weeks BETWEEN 1 AND 26")
    with op.batch_alter_table("clinic_settings", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.alter_column("block_followup_weeks", server_default=None)
    _authorize(with_new_settings=True)


def downgrade() -> None:
    _authorize(with_new_settings=False)
    with op.batch_alter_table("clinic_settings", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.drop_column("block_followup_weeks")
    with op.batch_alter_table("prescription", reflect_kwargs=ONLY_THIS_TABLE) as batch:
        batch.drop_column("block")
