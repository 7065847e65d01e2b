"""Local dates for adherence, the end of a finished prescription, and two clinic settings.

- `session_record.started_at_utc_offset_minutes`: the UTC offset the client wrote `started_at`
  with (`timestamptz` keeps only the instant), so that a delivery counts on the record's local
  date. Rows from before have none (NULL): they count on their date in the clinic's time zone.
- `prescription.ended_on`: the day `completed` or `discontinued` took effect. A finished
  prescription still counts in the periods it ran in; rows finished before this migration get the
  best date known, the day of their last change (or the day after `period_end`, if earlier).
- `clinic_settings.time_zone` (IANA name, default `UTC`) and `clinic_settings.crawling_expected`
  (default false), also returned by `dmi_authorize` with the other rule settings.

Revision ID: 3a7c9e2f4b18
Revises: 9b4f2e6a1c55
Create Date: 2026-11-27 06:00:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "3a7c9e2f4b18"
down_revision: str | None = "9b4f2e6a1c55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTHORIZE = """
CREATE FUNCTION dmi_authorize(p_clinic uuid, p_client uuid)
RETURNS TABLE (
    active boolean,
    preterm_below_weeks integer,
    correct_until_months integer,
    aims_norms json{more}
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('dmi.clinic_id', p_clinic::text, true),
            set_config('dmi.client_id', p_client::text, true);
    RETURN QUERY
        SELECT c.active, s.preterm_below_weeks, s.correct_until_months, s.aims_norms{columns}
        FROM api_client AS c
        LEFT JOIN clinic_settings AS s ON s.clinic_id = c.clinic_id
        WHERE c.id = p_client AND c.clinic_id = p_clinic;
END
$$
"""
NEW_RESULT = ",\n    time_zone text,\n    crawling_expected boolean"
NEW_COLUMNS = ", s.time_zone::text, s.crawling_expected"


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


def _as_date(value: object) -> date | None:
    """A timestamp's UTC date, or a date, as the driver hands it back (SQLite: text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo is None else value.astimezone(UTC)).date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def _backfill_ended_on() -> None:
    bind = op.get_bind()
    prescription = sa.table(
        "prescription",
        sa.column("id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("period_end", sa.Date()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("ended_on", sa.Date()),
    )
    finished = bind.execute(
        sa.select(prescription.c.id, prescription.c.period_end, prescription.c.updated_at).where(
            prescription.c.status.in_(("completed", "discontinued"))
        )
    ).all()
    for row_id, period_end, updated_at in finished:
        ended = _as_date(updated_at)
        end = _as_date(period_end)
        if end is not None and (ended is None or end + timedelta(days=1) < ended):
            ended = end + timedelta(days=1)
        bind.execute(
            sa.update(prescription).where(prescription.c.id == row_id).values(ended_on=ended)
        )


def upgrade() -> None:
    with op.batch_alter_table("session_record") as batch:
        batch.add_column(sa.Column("started_at_utc_offset_minutes", sa.Integer(), nullable=True))
    with op.batch_alter_table("prescription") as batch:
        batch.add_column(sa.Column("ended_on", sa.Date(), nullable=True))
    _backfill_ended_on()
    # Existing rows take the defaults; the models set them on insert (no server default).
    with op.batch_alter_table("clinic_settings") as batch:
        batch.add_column(
            sa.Column(
                "time_zone", sa.String(length=64), nullable=False, server_default=sa.text("'UTC'")
            )
        )
        batch.add_column(
            sa.Column("crawling_expected", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("clinic_settings") as batch:
        batch.alter_column("time_zone", server_default=None)
        batch.alter_column("crawling_expected", server_default=None)
    _authorize(with_new_settings=True)


def downgrade() -> None:
    _authorize(with_new_settings=False)
    with op.batch_alter_table("clinic_settings") as batch:
        batch.drop_column("crawling_expected")
        batch.drop_column("time_zone")
    with op.batch_alter_table("prescription") as batch:
        batch.drop_column("ended_on")
    with op.batch_alter_table("session_record") as batch:
        batch.drop_column("started_at_utc_offset_minutes")
