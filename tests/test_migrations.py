"""Migrations: a full round trip, and the migrated schema is exactly the models."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from dmi_api.config import Settings
from dmi_api.db import create_engine
from dmi_api.migrate import (
    alembic_config,
    downgrade,
    include_object,
    migrations_dir,
    upgrade_to_head,
)
from dmi_api.models import metadata
from tests.conftest import BACKEND, _admin_execute
from tests.support.pg_server import PgServer


@pytest.fixture
async def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the run's backend, dropped afterwards."""
    if BACKEND == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = f"dmi_scratch_{uuid.uuid4().hex[:12]}"
    await _admin_execute(server.admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server.admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        # The group role a migration made for this database (`<database>_app`) goes with it.
        await _admin_execute(
            server.admin_url,
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{name}_app"',
        )


async def _inspect(url: str) -> tuple[list[Any], set[str]]:
    engine = create_engine(Settings(database_url=SecretStr(url)))

    def diff_and_tables(connection: Connection) -> tuple[list[Any], set[str]]:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_object,
            },
        )
        return compare_metadata(context, metadata), set(inspect(connection).get_table_names())

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(diff_and_tables)
    finally:
        await engine.dispose()


# SQLite cannot reflect expression indexes (the children's name search): Alembic skips them there
# with this warning; PostgreSQL reflects and compares them.
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index"
)
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_round_trip_and_no_drift(scratch_url: str) -> None:
    await asyncio.to_thread(upgrade_to_head, scratch_url)
    await asyncio.to_thread(downgrade, scratch_url, "base")
    _, tables_at_base = await _inspect(scratch_url)
    assert tables_at_base <= {"alembic_version"}

    await asyncio.to_thread(upgrade_to_head, scratch_url)
    differences, tables = await _inspect(scratch_url)
    assert differences == []
    assert set(metadata.tables) <= tables


async def _scalars(url: str, *statements: str) -> list[Any]:
    engine = create_engine(Settings(database_url=SecretStr(url)))
    try:
        async with engine.begin() as connection:
            results = [await connection.execute(text(s)) for s in statements]
            return [r.scalar() if r.returns_rows else None for r in results]
    finally:
        await engine.dispose()


@pytest.mark.postgres_only
class TestAppGroupRole:
    async def test_a_new_database_grants_to_its_own_role(self, scratch_url: str) -> None:
        await asyncio.to_thread(upgrade_to_head, scratch_url)
        role = f"{make_url(scratch_url).database}_app"
        recorded, can_read, legacy_can_read = await _scalars(
            scratch_url,
            "SELECT dmi_app_role()",
            f"SELECT has_table_privilege('{role}', 'child', 'SELECT')",
            "SELECT has_table_privilege('dmi_app', 'child', 'SELECT')",
        )
        assert recorded == role
        assert can_read is True
        assert legacy_can_read is False

    async def test_a_database_migrated_before_the_record_keeps_dmi_app(
        self, scratch_url: str
    ) -> None:
        await asyncio.to_thread(upgrade_to_head, scratch_url, "dmi_app")
        # As the first migration left a database before it recorded the role: no dmi_app_role().
        await _scalars(scratch_url, "DROP FUNCTION dmi_app_role()")
        await asyncio.to_thread(downgrade, scratch_url, "b9f5476162ad")  # before clinic_settings
        await asyncio.to_thread(upgrade_to_head, scratch_url)  # no DMI_DB_APP_ROLE given
        granted, recorded = await _scalars(
            scratch_url,
            "SELECT has_table_privilege('dmi_app', 'clinic_settings', 'SELECT, INSERT, UPDATE')",
            "SELECT to_regprocedure('dmi_app_role()')",
        )
        assert granted is True
        assert recorded is None


def test_migration_files_are_named_by_date_and_slug() -> None:
    names = [p.name for p in (migrations_dir() / "versions").glob("*.py")]
    assert names
    for name in names:
        date, _, slug = name.removesuffix(".py").partition("_")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date), name
        assert slug, name


async def test_local_dates_migration_fills_what_existing_rows_need(scratch_url: str) -> None:
    """2026-11-27_local_dates_and_crawling: a finished prescription gets the day it ended (its
    last change, or the day after its period if earlier); settings rows get the defaults."""
    before = "9b4f2e6a1c55"  # the revision it follows
    await asyncio.to_thread(command.upgrade, alembic_config(scratch_url), before)
    clinic_id, practitioner_id, child_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ids = {name: uuid.uuid4() for name in ("open", "early", "active")}
    changed = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
    row = {"clinic_id": clinic_id, "version": 1, "created_at": changed, "updated_at": changed}
    engine = create_engine(Settings(database_url=SecretStr(scratch_url)))
    try:
        async with engine.begin() as db:
            await _insert(
                db, "clinic", id=clinic_id, name="C", created_at=changed, updated_at=changed
            )
            await _insert(
                db,
                "practitioner",
                **row,
                id=practitioner_id,
                name="P",
                discipline="pt",
                active=True,
            )
            await _insert(
                db,
                "child",
                **row,
                id=child_id,
                given_name="A",
                family_name="B",
                birth_date=date(2025, 1, 1),
                sex="female",
                diagnoses=[],
                status="active",
                caregivers=[],
            )
            for name, status, period_end in (
                ("open", "discontinued", None),  # ended on the day of its last change
                ("early", "completed", date(2026, 1, 31)),  # its period ended first
                ("active", "active", None),
            ):
                await _insert(
                    db,
                    "prescription",
                    **row,
                    id=ids[name],
                    child_id=child_id,
                    prescriber_id=practitioner_id,
                    setting="home",
                    status=status,
                    period_start=date(2026, 1, 1),
                    period_end=period_end,
                    pauses=[],
                )
            await _insert(
                db,
                "clinic_settings",
                clinic_id=clinic_id,
                version=1,
                preterm_below_weeks=37,
                correct_until_months=24,
                updated_at=changed,
            )
        await asyncio.to_thread(upgrade_to_head, scratch_url)
        async with engine.connect() as db:
            ended = (await db.execute(sa.text("SELECT id, ended_on FROM prescription"))).all()
            defaults = (
                await db.execute(
                    sa.text("SELECT time_zone, crawling_expected FROM clinic_settings")
                )
            ).one()
    finally:
        await engine.dispose()
    assert {uuid.UUID(str(row_id)): _day(on) for row_id, on in ended} == {
        ids["open"]: date(2026, 2, 10),
        ids["early"]: date(2026, 2, 1),
        ids["active"]: None,
    }
    assert (defaults[0], bool(defaults[1])) == ("UTC", False)


async def test_primary_keys_are_the_models(scratch_url: str) -> None:
    """Alembic's comparison leaves primary keys out: every table's, columns in order."""
    await asyncio.to_thread(upgrade_to_head, scratch_url)
    engine = create_engine(Settings(database_url=SecretStr(scratch_url)))

    def keys(connection: Connection) -> dict[str, list[str]]:
        found = inspect(connection)
        return {t: found.get_pk_constraint(t)["constrained_columns"] for t in metadata.tables}

    try:
        async with engine.connect() as connection:
            migrated = await connection.run_sync(keys)
    finally:
        await engine.dispose()
    assert migrated == {
        name: [c.name for c in table.primary_key.columns] for name, table in metadata.tables.items()
    }


BEFORE_DISTRIBUTION_KEYS = "6a3d9f2b7e41"  # the revision 2026-12-03_distribution_keys follows


async def _clinic_with_records(db: AsyncConnection, clinic_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """A clinic, a client, a practitioner, a child and a signed session record (the tables as
    they are before 2026-12-03_distribution_keys): their ids."""
    ids = {name: uuid.uuid4() for name in ("client", "practitioner", "child", "session")}
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    stamps = {"created_at": at, "updated_at": at}
    row = {"clinic_id": clinic_id, "version": 1, **stamps}
    await _insert(db, "clinic", id=clinic_id, name="C", **stamps)
    await _insert(
        db,
        "api_client",
        id=ids["client"],
        clinic_id=clinic_id,
        name="x",
        scopes="children:read",
        auth_method="client_secret",
        active=True,
        **stamps,
    )
    await _insert(
        db, "practitioner", **row, id=ids["practitioner"], name="P", discipline="pt", active=True
    )
    await _insert(
        db,
        "child",
        **row,
        id=ids["child"],
        given_name="A",
        family_name="B",
        birth_date=date(2025, 1, 1),
        sex="female",
        diagnoses=[],
        status="active",
        caregivers=[],
    )
    await _insert(
        db,
        "session_record",
        **row,
        id=ids["session"],
        child_id=ids["child"],
        practitioner_id=ids["practitioner"],
        type="dmi",
        setting="clinic",
        started_at=at,
        duration_minutes=45,
        attendance="attended",
        caregiver_present=False,
        exercises=[],
        notes={},
        signed_at=at,
        signed_by=ids["practitioner"],
    )
    await _insert(
        db,
        "used_client_assertion",
        clinic_id=clinic_id,
        client_id=ids["client"],
        jti="j",
        expires_at=at,
    )
    return ids


async def _event(db: AsyncConnection, clinic_id: uuid.UUID | None) -> uuid.UUID:
    event_id = uuid.uuid4()
    await _insert(
        db,
        "audit_event",
        id=event_id,
        occurred_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        clinic_id=clinic_id,
        action="denied",
        resource_type="children",
        outcome=401,
        request_id=f"r-{event_id}",
    )
    return event_id


async def _column(db: AsyncConnection, query: str) -> set[Any]:
    return {_uuid(value) for value in (await db.execute(sa.text(query))).scalars()}


async def _child_indexes(db: AsyncConnection) -> set[str]:
    """The child table's indexes as the database lists them (SQLite's reflection skips the name
    search's expression indexes, which batch mode must create again)."""
    if db.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'child'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE tablename = 'child'"
    return set((await db.execute(sa.text(query))).scalars())


NAME_SEARCH = {"ix_child_clinic_id_lower_given_name", "ix_child_clinic_id_lower_family_name"}


def _uuid(value: Any) -> Any:
    """A UUID as the backend hands it back in a text query (SQLite: 32 hex digits)."""
    return uuid.UUID(value) if isinstance(value, str) else value


async def test_distribution_keys_migration_moves_the_rows(scratch_url: str) -> None:
    """2026-12-03_distribution_keys: the rows stay, keyed by their clinic; the events of no clinic
    leave the trail for their own table (and come back on a downgrade)."""
    await asyncio.to_thread(command.upgrade, alembic_config(scratch_url), BEFORE_DISTRIBUTION_KEYS)
    clinic_id, other_clinic = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(Settings(database_url=SecretStr(scratch_url)))
    try:
        async with engine.begin() as db:
            ids = await _clinic_with_records(db, clinic_id)
            await _clinic_with_records(db, other_clinic)
            trail, unattributed = await _event(db, clinic_id), await _event(db, None)
        await asyncio.to_thread(upgrade_to_head, scratch_url)
        async with engine.connect() as db:
            assert await _column(db, "SELECT id FROM audit_event") == {trail}
            assert await _column(db, "SELECT id FROM audit_event_unattributed") == {unattributed}
            assert ids["session"] in await _column(db, "SELECT id FROM session_record")
            assert await _child_indexes(db) >= NAME_SEARCH
            assigned = "SELECT count(*) FROM used_client_assertion"
            assert (await db.execute(sa.text(assigned))).scalar_one() == 2
        # A row can no longer name another clinic's row (the app's engine enforces foreign keys
        # on SQLite too).
        with pytest.raises(sa.exc.IntegrityError):
            async with engine.begin() as db:
                await _milestone_of_another_clinic(db, other_clinic, ids["child"])
        await asyncio.to_thread(downgrade, scratch_url, BEFORE_DISTRIBUTION_KEYS)
        async with engine.connect() as db:
            back = await db.execute(sa.text("SELECT id, clinic_id FROM audit_event"))
            assert {(_uuid(e), _uuid(c)) for e, c in back} == {
                (trail, clinic_id),
                (unattributed, None),
            }
            assert await _child_indexes(db) >= NAME_SEARCH
    finally:
        await engine.dispose()


async def test_distribution_keys_migration_refuses_cross_clinic_references(
    scratch_url: str,
) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(scratch_url), BEFORE_DISTRIBUTION_KEYS)
    clinic_id, other_clinic = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(Settings(database_url=SecretStr(scratch_url)))
    try:
        async with engine.begin() as db:
            ids = await _clinic_with_records(db, clinic_id)
            await _insert(
                db,
                "clinic",
                id=other_clinic,
                name="D",
                created_at=datetime(2026, 3, 1, tzinfo=UTC),
                updated_at=datetime(2026, 3, 1, tzinfo=UTC),
            )
            # Another clinic's milestone naming this clinic's child: the old keys let it be.
            await _milestone_of_another_clinic(db, other_clinic, ids["child"])
    finally:
        await engine.dispose()
    # As the operator sees it: one line, not a traceback around the RuntimeError.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "dmi_api.cli", "migrate"],
        env=env | {"DMI_DATABASE_URL": scratch_url},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("dmi-api: the migration stopped, nothing changed: ")
    assert "milestone.child_id -> child: 1" in done.stderr


_TYPES: list[tuple[type, Any]] = [
    (bool, sa.Boolean()),
    (int, sa.Integer()),
    (uuid.UUID, sa.Uuid()),
    (datetime, sa.DateTime(timezone=True)),
    (date, sa.Date()),
    (str, sa.String()),
    (list, sa.JSON()),
    (dict, sa.JSON()),
]


async def _insert(db: AsyncConnection, table: str, /, **values: Any) -> None:
    """Insert a row naming only the columns given (the table as it is at some revision)."""
    columns = [
        sa.column(name, next(t for kind, t in _TYPES if isinstance(value, kind)))
        for name, value in values.items()
        if value is not None
    ]
    given = {name: value for name, value in values.items() if value is not None}
    await db.execute(sa.table(table, *columns).insert().values(**given))


def _day(value: Any) -> date | None:
    """A DATE as the backend hands it back in a text query (SQLite: text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


async def _milestone_of_another_clinic(db: Any, clinic_id: uuid.UUID, child_id: Any) -> None:
    """A milestone of `clinic_id` naming a child of another clinic."""
    await _insert(
        db,
        "milestone",
        id=uuid.uuid4(),
        clinic_id=clinic_id,
        version=1,
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
        updated_at=datetime(2026, 3, 2, tzinfo=UTC),
        child_id=child_id,
        milestone="sitting_without_support",
        warnings=[],
    )


async def test_clinic_fhir_id_key_migration_gives_each_clinic_its_own_key(
    scratch_url: str,
) -> None:
    """2026-12-10_clinic_fhir_id_key: every existing clinic gets 32 random bytes of its own (its
    Conditions' ids are keyed by them); a clinic cannot be without one."""
    await asyncio.to_thread(command.upgrade, alembic_config(scratch_url), "6a2c9e4f1d83")
    now = datetime(2026, 12, 9, tzinfo=UTC)
    clinics = [uuid.uuid4(), uuid.uuid4()]
    engine = create_engine(Settings(database_url=SecretStr(scratch_url)))
    try:
        async with engine.begin() as db:
            for clinic_id in clinics:
                await _insert(db, "clinic", id=clinic_id, name="C", created_at=now, updated_at=now)
        await asyncio.to_thread(upgrade_to_head, scratch_url)
        async with engine.connect() as db:
            keys = [bytes(k) for k in await _column(db, "SELECT fhir_id_key FROM clinic")]
        assert len(keys) == 2
        assert all(len(key) == 32 for key in keys)
        with pytest.raises(sa.exc.IntegrityError):
            async with engine.begin() as db:
                await _insert(
                    db, "clinic", id=uuid.uuid4(), name="D", created_at=now, updated_at=now
                )
    finally:
        await engine.dispose()
