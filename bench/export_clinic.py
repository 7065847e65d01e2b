"""The clinic of the export memory check: N children (1,000,000) and nothing else, seeded once
by one `INSERT ... SELECT generate_series` as the owner and kept for later runs."""

from __future__ import annotations

import secrets
import sys
import time
import uuid

import asyncpg  # type: ignore[import-untyped]

from bench.seed_children import FAMILY, GIVEN
from dmi_api.models.clinics import FHIR_ID_KEY_BYTES

# $1 clinic, $2 children, $3 given names, $4 family names. Valid values: both sexes, born 1
# month to 6 years ago, one in ten discharged, an MRN each; no diagnoses, no caregivers.
_CHILDREN = """
INSERT INTO child (id, clinic_id, version, created_at, updated_at, deleted_at, given_name,
    family_name, preferred_name, birth_date, sex, gestational_age_weeks, gestational_age_days,
    diagnoses, status, external_id, caregivers)
SELECT gen_random_uuid(), $1, 1, c.created, c.created + (n % 48) * interval '1 hour', NULL,
    ($3::text[])[1 + n % cardinality($3::text[])], ($4::text[])[1 + n % cardinality($4::text[])],
    CASE WHEN n % 9 = 0 THEN ($3::text[])[1 + (n / 9) % cardinality($3::text[])] END,
    current_date - (30 + n % 2160), CASE WHEN n % 2 = 0 THEN 'female' ELSE 'male' END,
    CASE WHEN n % 7 = 0 THEN 30 + n % 10 END, CASE WHEN n % 7 = 0 THEN (n / 7) % 7 END,
    '[]'::json, CASE WHEN n % 10 = 0 THEN 'discharged' ELSE 'active' END,
    'EXP-' || lpad(n::text, 8, '0'), '[]'::json
FROM generate_series(1, $2::int) AS n,
    LATERAL (SELECT now() - (1 + n % 700) * interval '1 day' AS created) AS c
"""


def clinic_name(children: int) -> str:
    """How the clinic is found again."""
    return f"Bench export: {children:,} children"


async def ensure_export_clinic(owner_dsn: str, children: int) -> uuid.UUID:
    """The export clinic's id, seeded first when missing (clinic and children in one
    transaction: a clinic found is complete)."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        found = await conn.fetchval(
            "SELECT id FROM clinic WHERE name = $1 ORDER BY created_at LIMIT 1",
            clinic_name(children),
        )
        if found is not None:
            print(f"export clinic: {children:,} children seeded already", file=sys.stderr)
            return uuid.UUID(str(found))
        print(f"export clinic: seeding {children:,} children", file=sys.stderr, flush=True)
        started, clinic_id = time.monotonic(), uuid.uuid4()
        async with conn.transaction():
            # Consistent by construction: no per-row foreign-key triggers.
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("SET LOCAL synchronous_commit = off")
            await conn.execute(
                "INSERT INTO clinic (id, name, fhir_id_key, created_at, updated_at)"
                " VALUES ($1, $2, $3, now(), now())",
                clinic_id,
                clinic_name(children),
                secrets.token_bytes(FHIR_ID_KEY_BYTES),
            )
            await conn.execute(_CHILDREN, clinic_id, children, GIVEN, FAMILY)
        await conn.execute("VACUUM (ANALYZE) child")
        print(f"export clinic: seeded in {time.monotonic() - started:.1f} s", file=sys.stderr)
        return clinic_id
    finally:
        await conn.close()
