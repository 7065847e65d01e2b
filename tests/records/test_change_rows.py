"""Every change keeps its version and leaves its audit event, written by the same code on both
serving paths (`change_rows`): no version without its event, no event without its version, and
a refused write leaves neither."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.support.clinics import Clinic
from tests.support.sessions import URL, create, lives

# PostgreSQL's own SQL (row-level security's clinic setting, `::text`); the session path is one
# of the two it runs on.
pytestmark = [pytest.mark.usefixtures("serving_path"), pytest.mark.postgres_only]


async def _bookkeeping(
    db: AsyncConnection, clinic_id: uuid.UUID
) -> tuple[Counter[Any], Counter[Any]]:
    """The clinic's kept versions and its audited changes, each as (type, id) counts; an
    amendment's event counts for its record (it is a version of the record). A refused write's
    event is not a change (`test_refused_writes_audit`)."""
    await db.execute(text("SELECT set_config('dmi.clinic_id', :c, true)"), {"c": str(clinic_id)})
    versions = await db.execute(
        text("SELECT resource_type, resource_id::text FROM resource_version")
    )
    events = await db.execute(
        text(
            "SELECT coalesce(r.session_record_id::text, e.resource_id),"
            " CASE WHEN r.id IS NULL THEN e.resource_type ELSE 'session_record' END,"
            " e.action, e.outcome"
            " FROM audit_event AS e LEFT JOIN session_amendment AS r"
            " ON e.resource_type = 'session_amendment' AND r.id::text = e.resource_id"
            " WHERE e.action IN ('create', 'update', 'delete') AND e.outcome < 400"
        )
    )
    kept = Counter((kind, rid) for kind, rid in versions.all())
    audited = Counter((kind, rid) for rid, kind, _action, _outcome in events.all())
    return kept, audited


class TestEveryChangeIsKeptAndAudited:
    async def test_creates_changes_signatures_amendments_and_deletes(
        self, client: httpx.AsyncClient, clinic: Clinic, db_connection: AsyncConnection
    ) -> None:
        record, other = await lives(client, clinic)
        kept, audited = await _bookkeeping(db_connection, clinic.tenant.clinic_id)
        assert kept == audited
        # The first record: created, changed, signed, amended; the other created and deleted.
        assert kept[("session_record", record["id"])] == 4
        assert kept[("session_record", other["id"])] == 2

    async def test_the_event_says_what_the_change_was(
        self, client: httpx.AsyncClient, clinic: Clinic, db_connection: AsyncConnection
    ) -> None:
        record = await create(client, clinic)
        await db_connection.execute(
            text("SELECT set_config('dmi.clinic_id', :c, true)"),
            {"c": str(clinic.tenant.clinic_id)},
        )
        events = await db_connection.execute(
            text(
                "SELECT action, outcome, child_id::text, client_id FROM audit_event"
                " WHERE resource_id = :r"
            ),
            {"r": record["id"]},
        )
        assert [tuple(row) for row in events.all()] == [
            ("create", 201, clinic.child_id, str(clinic.tenant.client_id))
        ]

    async def test_a_refused_write_keeps_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic, db_connection: AsyncConnection
    ) -> None:
        before = await _bookkeeping(db_connection, clinic.tenant.clinic_id)
        refused = await client.post(
            URL, json=clinic.new(practitioner_id=str(uuid.uuid4())), headers=clinic.headers
        )
        assert refused.status_code == 422
        assert await _bookkeeping(db_connection, clinic.tenant.clinic_id) == before
