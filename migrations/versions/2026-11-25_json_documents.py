"""JSON documents as `json`, not `jsonb`, on PostgreSQL: stored and served whole.

No statement looks inside these columns; they are written whole and read whole, and reading
`jsonb` back as text re-serializes it (a list page of 51 children: 40 of the server's 120 us
went to the two JSON columns; `json` returns the text as written). Writing `jsonb` also parses
into the binary form (a session record's body: ~9 us against ~2 us). SQLite keeps JSON as text.

Revision ID: 7e2d4c1b9a30
Revises: 5c1e0f7a9b21
Create Date: 2026-11-25 02:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7e2d4c1b9a30"
down_revision: str | None = "5c1e0f7a9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("api_client", "jwks"),
    ("assessment", "entered"),
    ("assessment", "goal_dimensions"),
    ("assessment", "items"),
    ("assessment", "scores"),
    ("child", "caregivers"),
    ("child", "diagnoses"),
    ("clinic_settings", "aims_norms"),
    ("exercise", "undesired_responses"),
    ("idempotency_key", "response_body"),
    ("idempotency_key", "response_headers"),
    ("prescription", "pauses"),
    ("resource_version", "snapshot"),
    ("session_record", "exercises"),
    ("session_record", "notes"),
    ("signing_key", "public_jwk"),
)


# `dmi_authorize` (2026-11-24_authorize_function) returns a clinic's `aims_norms`, typed as the
# column: its result type changes with it (a function's result type cannot be replaced).
AUTHORIZE = """
CREATE FUNCTION dmi_authorize(p_clinic uuid, p_client uuid)
RETURNS TABLE (
    active boolean,
    preterm_below_weeks integer,
    correct_until_months integer,
    aims_norms {json_type}
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


def _retype(to: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    tables: dict[str, list[str]] = {}
    for table, column in COLUMNS:
        tables.setdefault(table, []).append(column)
    for table, columns in tables.items():
        # One rewrite per table, whatever its number of JSON columns.
        changes = ", ".join(f"ALTER COLUMN {c} TYPE {to} USING {c}::{to}" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")
    op.execute("DROP FUNCTION dmi_authorize(uuid, uuid)")
    op.execute(AUTHORIZE.format(json_type=to))


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")
