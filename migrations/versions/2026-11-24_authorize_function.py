"""`dmi_authorize(clinic, client)`: bind the request's tenant and read what every request needs
(the client's `active` flag and the clinic's rule settings) in one round trip.

Revision ID: 5c1e0f7a9b21
Revises: d53ab274976c
Create Date: 2026-11-24 21:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c1e0f7a9b21"
down_revision: str | None = "d53ab274976c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # SECURITY INVOKER (the default): the lookups run under the row-level-security policies
    # of the caller's role, with the settings the first statement has just made.
    op.execute(
        """
        CREATE FUNCTION dmi_authorize(p_clinic uuid, p_client uuid)
        RETURNS TABLE (
            active boolean,
            preterm_below_weeks integer,
            correct_until_months integer,
            aims_norms jsonb
        )
        LANGUAGE plpgsql VOLATILE AS $$
        #variable_conflict use_column
        BEGIN
            PERFORM set_config('dmi.clinic_id', p_clinic::text, true),
                    set_config('dmi.client_id', p_client::text, true);
            RETURN QUERY
                SELECT c.active, s.preterm_below_weeks, s.correct_until_months, s.aims_norms
                FROM api_client AS c
                LEFT JOIN clinic_settings AS s ON s.clinic_id = c.clinic_id
                WHERE c.id = p_client AND c.clinic_id = p_clinic;
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS dmi_authorize(uuid, uuid)")
