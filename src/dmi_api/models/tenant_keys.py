"""Keys of clinic-owned tables: each names its clinic, so that the tables can be distributed by
`clinic_id` (Citus: README "Scaling out") and no key reaches across clinics.

A clinic-owned table's primary key is `(clinic_id, id)`, every unique constraint and unique index
includes `clinic_id`, and a foreign key to another clinic-owned table is
`(clinic_id, x_id) -> other (clinic_id, id)`: a row can only name a row of its own clinic
(`tests/test_distribution_keys.py` checks every table).
"""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, PrimaryKeyConstraint

CLINIC_COLUMN = "clinic_id"


def tenant_primary_key() -> PrimaryKeyConstraint:
    """`(clinic_id, id)`, the clinic first (the column order of the key's index)."""
    return PrimaryKeyConstraint(CLINIC_COLUMN, "id")


def tenant_foreign_key(table: str, column: str, referred: str) -> ForeignKeyConstraint:
    """`(clinic_id, column) -> referred (clinic_id, id)`, named as the single-column key it
    replaced (`fk_<table>_<column>_<referred>`): the naming convention would name every key of
    a table to one referred table alike (`fk_<table>_clinic_id_<referred>`)."""
    return ForeignKeyConstraint(
        [CLINIC_COLUMN, column],
        [f"{referred}.{CLINIC_COLUMN}", f"{referred}.id"],
        name=f"fk_{table}_{column}_{referred}",
    )
