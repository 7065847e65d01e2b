"""The schema distributes by clinic (README "Scaling out"): every table is global or clinic-owned,
and every key of a clinic-owned table names its clinic, in the models and in a migrated database.

Citus requires it of a distributed table: its primary key and every unique constraint or index
include the distribution column, and a foreign key to another distributed table joins on it
(a key to a reference table, such as `clinic`, is allowed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Column, ForeignKeyConstraint, Index, MetaData, Table, UniqueConstraint
from sqlalchemy.engine import Connection

from dmi_api.config import Settings
from dmi_api.db import create_engine
from dmi_api.migrate import JOB_LIBRARY_PREFIX
from dmi_api.models import distribution, metadata
from tests.conftest import Database

CLINIC = "clinic_id"
# Not any clinic's own, listed here on purpose (not read from the code under test).
GLOBAL_TABLES = {"clinic", "signing_key", "auth_throttle", "audit_event_unattributed"}
README = Path(__file__).resolve().parents[1] / "README.md"


def _names(columns: Iterable[object]) -> list[str]:
    return [getattr(c, "name", str(c)) for c in columns]


def _unique_keys(table: Table) -> list[tuple[str, list[str]]]:
    """Every unique constraint and unique index: name, then its columns (an expression's text)."""
    keys = [
        (str(c.name), _names(c.columns))
        for c in table.constraints
        if isinstance(c, UniqueConstraint)
    ]
    indexes: list[Index] = [i for i in table.indexes if i.unique]
    return keys + [(str(i.name), _names(i.expressions)) for i in indexes]


def distribution_problems(tables: Iterable[Table]) -> list[str]:
    """What keeps these tables from distributing by clinic: one line per problem."""
    tables = list(tables)
    owned = {t.name for t in tables if CLINIC in t.c}
    problems = [
        f"{t.name}: neither global nor clinic-owned"
        for t in tables
        if t.name not in GLOBAL_TABLES and t.name not in owned
    ]
    problems += [f"{name}: global, yet has {CLINIC}" for name in sorted(owned & GLOBAL_TABLES)]
    for table in tables:
        keys: list[ForeignKeyConstraint] = list(table.foreign_key_constraints)
        if table.name in GLOBAL_TABLES:
            # A reference table may not name a distributed one.
            problems += [
                f"{table.name}.{fk.name}: global, names clinic-owned {fk.referred_table.name}"
                for fk in keys
                if fk.referred_table.name in owned
            ]
            continue
        if table.name not in owned:
            continue
        column: Column[object] = table.c[CLINIC]
        if column.nullable:
            problems.append(f"{table.name}.{CLINIC} is nullable")
        primary = _names(table.primary_key.columns)
        if primary[:1] != [CLINIC]:
            problems.append(f"{table.name}: primary key {primary} does not lead with {CLINIC}")
        problems += [
            f"{table.name}.{name}: unique {columns} without {CLINIC}"
            for name, columns in _unique_keys(table)
            if CLINIC not in columns
        ]
        for fk in keys:
            referred = fk.referred_table.name
            pairs = {(c.parent.name, c.column.name) for c in fk.elements}
            if referred in owned and (CLINIC, CLINIC) not in pairs:
                problems.append(f"{table.name}.{fk.name}: names {referred} without {CLINIC}")
            elif referred not in owned and referred not in GLOBAL_TABLES:
                problems.append(f"{table.name}.{fk.name}: names unknown table {referred}")
    return problems


def test_the_models_distribute_by_clinic() -> None:
    assert distribution_problems(metadata.sorted_tables) == []


def test_the_global_tables_are_these() -> None:
    assert set(distribution.GLOBAL_TABLES) == GLOBAL_TABLES
    assert set(metadata.tables) >= GLOBAL_TABLES


def test_a_key_that_forgets_the_clinic_is_caught() -> None:
    broken = MetaData()
    Table("clinic", broken, Column("id", primary_key=True))
    Table(
        "parent",
        broken,
        Column("id", primary_key=True),
        Column(CLINIC, nullable=True),
        Column("code"),
        UniqueConstraint("code", name="uq_parent_code"),
    )
    Table(
        "kid",
        broken,
        Column(CLINIC, primary_key=True),
        Column("id", primary_key=True),
        Column("parent_id"),
        ForeignKeyConstraint(["parent_id"], ["parent.id"], name="fk_kid_parent"),
        Index("uq_kid_parent", "parent_id", unique=True),
    )
    Table("loose", broken, Column("id", primary_key=True))
    assert sorted(distribution_problems(broken.sorted_tables)) == [
        "kid.fk_kid_parent: names parent without clinic_id",
        "kid.uq_kid_parent: unique ['parent_id'] without clinic_id",
        "loose: neither global nor clinic-owned",
        "parent.clinic_id is nullable",
        "parent.uq_parent_code: unique ['code'] without clinic_id",
        "parent: primary key ['id'] does not lead with clinic_id",
    ]


# SQLite cannot reflect the children's name-search indexes (expressions, not unique).
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_the_migrated_database_distributes_by_clinic(database: Database) -> None:
    """The same rules over the tables as the database has them (the job library's own tables
    aside: README "Scaling out" says how they are treated)."""
    engine = create_engine(Settings(database_url=SecretStr(database.owner_url)))

    def reflected(connection: Connection) -> list[Table]:
        found = MetaData()
        found.reflect(
            connection,
            only=lambda name, _: name in metadata.tables,
        )
        return list(found.sorted_tables)

    def other_tables(connection: Connection) -> set[str]:
        return {
            name
            for name in connection.dialect.get_table_names(connection)
            if name not in metadata.tables
        }

    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(reflected)
            others = await connection.run_sync(other_tables)
    finally:
        await engine.dispose()
    assert {t.name for t in tables} == set(metadata.tables)
    assert {n for n in others if not n.startswith(JOB_LIBRARY_PREFIX)} == {"alembic_version"}
    assert distribution_problems(tables) == []


def test_the_readme_lists_the_statements_of_the_models() -> None:
    """README "Scaling out" shows `citus_statements()` as they are now (regenerate the block with
    `python -m dmi_api.models.distribution`)."""
    block = re.search(r"```sql\n(-- citus: distribute by clinic\n.*?)```", README.read_text(), re.S)
    assert block is not None, "README: the Citus statements' block is missing"
    shown = block.group(1).splitlines()[1:]
    assert shown == distribution.citus_statements()
