"""Every key of a clinic-owned table names its clinic (issue 18): the schema can be distributed
by `clinic_id` (Citus, README "Scaling out").

- The primary key of `api_client`, `audit_event` and the clinical tables (`practitioner`,
  `child`, `exercise`, `prescription`, `prescription_item`, `session_record`,
  `session_amendment`, `assessment`, `milestone`) is `(clinic_id, id)`, no longer `(id)`.
- A foreign key between clinic-owned tables is `(clinic_id, x_id) -> other (clinic_id, id)`, under
  the single-column key's name: a row can name only a row of its own clinic. Existing rows that
  name another clinic's row stop the upgrade, with the count per key (none can be written
  through the API; the check runs on SQLite too, where batch mode would copy them silently).
- `api_client (id)` gets a plain index: the token endpoint finds a client by its id alone.
- `audit_event.clinic_id` is NOT NULL: the events of no clinic (a token we did not sign, a
  token request of an unknown client) move to `audit_event_unattributed`, a global table the
  service's role may only insert into (`models/audit.py` says why). `audit_event`'s insert
  policy no longer admits a NULL clinic.

On PostgreSQL each key is replaced in place (one `ALTER TABLE` per table and phase: a key's
index is built again, under an exclusive lock: on a large database, plan the upgrade's window).
On SQLite each table is rebuilt once by batch mode, reflecting only itself; the children's name
search indexes, which SQLite cannot reflect, are created again after the rebuild. A downgrade
fails if an id has meanwhile been used in two clinics (the single-column keys cannot hold it).

Revision ID: b15b8819b4e0
Revises: 6a3d9f2b7e41
Create Date: 2026-12-03 09:00:00+00:00
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import exc as sa_exc

from dmi_api import migration_ops as ops

revision: str = "b15b8819b4e0"
down_revision: str | None = "6a3d9f2b7e41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode reflects the altered table only (see 2026-12-02_record_warnings).
ONLY_THIS_TABLE = {"resolve_fks": False}
REKEYED = (
    "api_client",
    "audit_event",
    "practitioner",
    "child",
    "exercise",
    "prescription",
    "prescription_item",
    "session_record",
    "session_amendment",
    "assessment",
    "milestone",
)
# The keys between clinic-owned tables: (table, column, referred table).
FOREIGN_KEYS = (
    ("assessment", "child_id", "child"),
    ("assessment", "assessor_id", "practitioner"),
    ("milestone", "child_id", "child"),
    ("prescription", "child_id", "child"),
    ("prescription", "prescriber_id", "practitioner"),
    ("prescription_item", "prescription_id", "prescription"),
    ("prescription_item", "exercise_id", "exercise"),
    ("session_amendment", "session_record_id", "session_record"),
    ("session_amendment", "author_id", "practitioner"),
    ("session_record", "child_id", "child"),
    ("session_record", "practitioner_id", "practitioner"),
    ("session_record", "signed_by", "practitioner"),
    ("used_client_assertion", "client_id", "api_client"),
)
UNATTRIBUTED = "audit_event_unattributed"
# The columns of an audit event besides its clinic.
EVENT_COLUMNS = (
    "id",
    "occurred_at",
    "client_id",
    "token_jti",
    "action",
    "resource_type",
    "resource_id",
    "child_id",
    "outcome",
    "reference_field",
    "reference_id",
    "request_id",
    "source_ip",
)
NAME_SEARCH = ("given_name", "family_name")  # 2026-11-27_child_name_search
SKIPPED_INDEX = "Skipped unsupported reflection of expression-based index"


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _fk_name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def _fk_columns(column: str, *, composite: bool) -> tuple[list[str], list[str]]:
    """A key's columns and the columns they name: with the clinic, or (downgrade) without."""
    return (["clinic_id", column], ["clinic_id", "id"]) if composite else ([column], ["id"])


def _refuse_cross_clinic_references() -> None:
    """Stop before any change if a row names a row of another clinic (the new keys would refuse
    it): ids and counts only in the message."""
    found = []
    for table, column, referred in FOREIGN_KEYS:
        count = (
            op.get_bind()
            .execute(
                sa.text(
                    f"SELECT count(*) FROM {table} AS t JOIN {referred} AS r "  # noqa: S608
                    f"ON r.id = t.{column} WHERE r.clinic_id <> t.clinic_id"
                )
            )
            .scalar_one()
        )
        if count:
            found.append(f"{table}.{column} -> {referred}: {count}")
    if found:
        raise ops.MigrationRefusedError(
            "rows name a row of another clinic; correct them before this upgrade: "
            + "; ".join(found)
        )


def _create_unattributed_table() -> None:
    op.create_table(
        UNATTRIBUTED,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("token_jti", sa.String(length=255), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=True),
        sa.Column("child_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.Integer(), nullable=False),
        sa.Column("reference_field", sa.String(length=128), nullable=True),
        sa.Column("reference_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{UNATTRIBUTED}")),
    )
    op.create_index(f"ix_{UNATTRIBUTED}_occurred_at", UNATTRIBUTED, ["occurred_at"])
    # Written by the service, read by no clinic: the owner reads it.
    ops.grant(UNATTRIBUTED, "INSERT")


def _move_events(source: str, target: str, *, unattributed: bool) -> None:
    columns = ", ".join(EVENT_COLUMNS)
    where = " WHERE clinic_id IS NULL" if unattributed else ""
    op.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {source}{where}")  # noqa: S608
    op.execute(f"DELETE FROM {source}{where}")  # noqa: S608


def _insert_policy(check: str) -> None:
    if not _is_sqlite():
        op.execute("DROP POLICY tenant_append ON audit_event")
        op.execute(f"CREATE POLICY tenant_append ON audit_event FOR INSERT WITH CHECK ({check})")


def _rekey_postgresql(*, composite: bool) -> None:
    """The keys in place: foreign keys off, primary keys swapped, foreign keys on again."""
    key = "clinic_id, id" if composite else "id"
    for table, column, referred in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_fk_name(table, column, referred)}")
    for table in REKEYED:
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}, "
            f"ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})"
        )
    for table, column, referred in FOREIGN_KEYS:
        local, remote = _fk_columns(column, composite=composite)
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {_fk_name(table, column, referred)} "
            f"FOREIGN KEY ({', '.join(local)}) REFERENCES {referred} ({', '.join(remote)})"
        )


def _rekey_sqlite(*, composite: bool) -> None:
    """Each table rebuilt once with its new keys (SQLite alters no key in place; foreign keys
    are not enforced while migrating, so the order of the tables does not matter)."""
    for table in dict.fromkeys((*REKEYED, *(t for t, _, _ in FOREIGN_KEYS))):
        keys = [(column, referred) for t, column, referred in FOREIGN_KEYS if t == table]
        with (
            warnings.catch_warnings(),
            op.batch_alter_table(table, reflect_kwargs=ONLY_THIS_TABLE) as batch,
        ):
            # The name search's indexes, skipped by the reflection, are created below.
            warnings.filterwarnings("ignore", SKIPPED_INDEX, sa_exc.SAWarning)
            for column, referred in keys:
                batch.drop_constraint(_fk_name(table, column, referred), type_="foreignkey")
            if table in REKEYED:
                batch.drop_constraint(f"pk_{table}", type_="primary")
                batch.create_primary_key(
                    f"pk_{table}", ["clinic_id", "id"] if composite else ["id"]
                )
            if table == "audit_event":
                batch.alter_column("clinic_id", existing_type=sa.Uuid(), nullable=not composite)
            for column, referred in keys:
                local, remote = _fk_columns(column, composite=composite)
                batch.create_foreign_key(_fk_name(table, column, referred), referred, local, remote)
    for column in NAME_SEARCH:
        # Batch mode rebuilt `child` from a reflection without them.
        op.create_index(
            f"ix_child_clinic_id_lower_{column}",
            "child",
            ["clinic_id", sa.text(f"lower({column})")],
        )


def upgrade() -> None:
    _refuse_cross_clinic_references()
    _create_unattributed_table()
    _move_events("audit_event", UNATTRIBUTED, unattributed=True)
    _insert_policy("clinic_id = dmi_current_clinic()")
    if _is_sqlite():
        _rekey_sqlite(composite=True)
    else:
        op.alter_column("audit_event", "clinic_id", existing_type=sa.Uuid(), nullable=False)
        _rekey_postgresql(composite=True)
    op.create_index("ix_api_client_id", "api_client", ["id"])


def downgrade() -> None:
    op.drop_index("ix_api_client_id", table_name="api_client")
    if _is_sqlite():
        _rekey_sqlite(composite=False)
    else:
        _rekey_postgresql(composite=False)
        op.alter_column("audit_event", "clinic_id", existing_type=sa.Uuid(), nullable=True)
    _insert_policy("clinic_id IS NULL OR clinic_id = dmi_current_clinic()")
    _move_events(UNATTRIBUTED, "audit_event", unattributed=False)
    op.drop_index(f"ix_{UNATTRIBUTED}_occurred_at", table_name=UNATTRIBUTED)
    op.drop_table(UNATTRIBUTED)
