"""Change events: one with every change, in its transaction, on both serving paths; the feed
(`GET /v1/events`) in an order no later commit can jump; ids and field names, no health data."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from dmi_api.change_events import ALL_EVENT_TYPES, changed_fields, event_type
from dmi_api.change_rows import EVENT_TABLE
from dmi_api.config import Settings
from dmi_api.db import create_engine
from dmi_api.models import ChangeEvent
from dmi_api.services.events import EventFilter, feed_page
from dmi_api.tenant_scope import Tenant
from tests.conftest import Database
from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.sessions import URL, create, lives

EVENTS = "/v1/events"


async def feed(client: httpx.AsyncClient, clinic: Clinic, **params: Any) -> dict[str, Any]:
    response = await client.get(EVENTS, params=params, headers=clinic.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def summary(page: dict[str, Any]) -> list[tuple[str, str, int, list[str]]]:
    return [
        (e["type"], e["resource"]["id"], e["resource"]["version"], e["changed_fields"])
        for e in page["data"]
    ]


@pytest.mark.usefixtures("serving_path")
class TestAnEventWithEveryChange:
    async def test_a_session_records_life(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        record, other = await lives(client, clinic)
        page = await feed(client, clinic, type="session_record.")
        rid, oid = record["id"], other["id"]
        assert summary(page) == [
            ("session_record.created", rid, 1, []),
            ("session_record.updated", rid, 2, ["duration_minutes", "ended_at"]),
            ("session_record.signed", rid, 3, ["signed_at", "signed_by"]),
            ("session_record.amended", rid, 4, ["amendments"]),
            ("session_record.created", oid, 1, []),
            ("session_record.deleted", oid, 2, ["deleted_at"]),
        ]
        event = page["data"][0]
        assert event["child_id"] == clinic.child_id
        assert event["resource"]["path"] == f"{URL}/{rid}"
        assert set(event) == {"id", "type", "occurred_at", "resource", "child_id", "changed_fields"}

    async def test_a_refused_write_emits_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        before = await feed(client, clinic)
        refused = await client.post(
            URL, json=clinic.new(practitioner_id=str(uuid.uuid4())), headers=clinic.headers
        )
        assert refused.status_code == 422
        after = await feed(client, clinic, cursor=before["next_cursor"])
        assert after["data"] == []
        assert after["next_cursor"] == before["next_cursor"] or after["data"] == []


class TestChildren:
    async def test_created_updated_deleted(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        start = (await feed(client, clinic, type="child."))["next_cursor"]
        child = await clinic.post(
            client,
            "/v1/children",
            given_name="Ana",
            family_name="Lima",
            birth_date="2024-05-01",
            sex="female",
        )
        await clinic.patch(client, f"/v1/children/{child['id']}", 1, given_name="Anna")
        deleted = await client.delete(
            f"/v1/children/{child['id']}", headers={**clinic.headers, "If-Match": '"2"'}
        )
        assert deleted.status_code == 204, deleted.text
        page = await feed(client, clinic, cursor=start, type="child.")
        assert summary(page) == [
            ("child.created", child["id"], 1, []),
            ("child.updated", child["id"], 2, ["given_name"]),
            ("child.deleted", child["id"], 3, ["deleted_at"]),
        ]
        # Names in field lists only: the values (PHI) are nowhere in the feed.
        assert "Anna" not in str(page)
        assert "Lima" not in str(page)


class TestClients:
    async def test_created_and_updated_without_versions(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        start = (await feed(client, clinic, type="client."))["next_cursor"]
        body = {"name": "EHR bridge", "scopes": ["children:read"], "auth_method": "client_secret"}
        made = await client.post("/v1/clients", json=body, headers=clinic.headers)
        assert made.status_code == 201, made.text
        client_id = made.json()["client_id"]
        rotated = await client.post(
            f"/v1/clients/{client_id}/rotate-secret", headers=clinic.headers
        )
        assert rotated.status_code == 200, rotated.text
        disabled = await client.patch(
            f"/v1/clients/{client_id}", json={"active": False}, headers=clinic.headers
        )
        assert disabled.status_code == 200, disabled.text
        page = await feed(client, clinic, cursor=start, type="client.")
        assert [
            (e["type"], e["resource"]["version"], e["changed_fields"]) for e in page["data"]
        ] == [
            ("client.created", None, []),
            ("client.updated", None, ["secret"]),
            ("client.updated", None, ["active", "disabled_at"]),
        ]
        assert {e["resource"]["path"] for e in page["data"]} == {f"/v1/clients/{client_id}"}


class TestFeedAccess:
    async def test_no_token(self, client: httpx.AsyncClient) -> None:
        response = await client.get(EVENTS)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_wrong_scope(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "sessions:read")
        assert (await client.get(EVENTS, headers=headers)).status_code == 403

    async def test_another_clinics_events_are_not_seen(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        record = await create(client, other)
        mine = await feed(client, clinic, resource_id=record["id"])
        theirs = await feed(client, other, resource_id=record["id"])
        assert mine["data"] == []
        assert len(theirs["data"]) == 1

    @pytest.mark.parametrize(
        "params",
        [
            {"type": "session_record"},
            {"type": "session_record.shredded"},
            {"type": "patient."},
            {"child_id": "nope"},
            {"limit": "0"},
            {"cursor": "x" * 50},
        ],
    )
    async def test_bad_input(
        self, client: httpx.AsyncClient, clinic: Clinic, params: dict[str, str]
    ) -> None:
        response = await client.get(EVENTS, params=params, headers=clinic.headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_cursor_belongs_to_its_filters(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        cursor = (await feed(client, clinic, type="child."))["next_cursor"]
        response = await client.get(
            EVENTS, params={"cursor": cursor, "type": "session_record."}, headers=clinic.headers
        )
        assert response.status_code == 422

    async def test_pages_follow_each_other(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        for _ in range(3):
            await create(client, clinic)
        first = await feed(client, clinic, limit=2, type="session_record.created")
        assert first["has_more"] is True
        assert len(first["data"]) == 2
        rest = await feed(
            client, clinic, cursor=first["next_cursor"], type="session_record.created"
        )
        assert rest["has_more"] is False
        ids = [e["id"] for e in first["data"] + rest["data"]]
        assert len(ids) == len(set(ids)) == 3
        again = await feed(
            client, clinic, cursor=rest["next_cursor"], type="session_record.created"
        )
        assert again["data"] == []
        assert again["next_cursor"]


class TestEventTypes:
    def test_every_verb(self) -> None:
        after = {"status": "final", "signed_at": "2025-01-01T00:00:00Z"}
        assert event_type("prescription", "update", ["status", "ended_on"], after) == (
            "prescription.status_changed"
        )
        assert event_type("assessment", "update", ["status", "scores"], after) == (
            "assessment.finalized"
        )
        assert event_type("assessment", "update", ["scores"], after) == "assessment.scored"
        assert event_type("assessment", "update", ["notes"], after) == "assessment.updated"
        assert event_type("child", "update", ["status"], after) == "child.updated"
        assert event_type("milestone", "create", [], after) == "milestone.created"
        assert {event_type("exercise", a, [], {}) for a in ("create", "update", "delete")} == {
            "exercise.created",
            "exercise.updated",
            "exercise.deleted",
        }
        assert len(ALL_EVENT_TYPES) == len(set(ALL_EVENT_TYPES))
        assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", kind) for kind in ALL_EVENT_TYPES)

    def test_changed_fields(self) -> None:
        before = {"id": 1, "version": 1, "updated_at": "a", "notes": "x", "kept": 1}
        after = {"id": 1, "version": 2, "updated_at": "b", "notes": "y", "kept": 1, "new": 2}
        assert changed_fields(before, after) == ["new", "notes"]
        assert changed_fields(None, after) == []


@pytest.mark.postgres_only
class TestCommitOrder:
    """Two writers commit out of order; a reader between the commits never passes the event of
    the one still running, whatever its position."""

    async def test_a_later_commit_is_never_skipped(self, database: Database) -> None:
        # As the owner: the order, not row-level security, is under test here.
        engine = create_engine(Settings(database_url=SecretStr(database.owner_url)))
        clinic_id = uuid.uuid4()

        def event(n: int) -> dict[str, Any]:
            return {
                "clinic_id": clinic_id,
                "id": uuid.uuid4(),
                "type": "child.updated",
                "resource_type": "child",
                "resource_id": uuid.uuid4(),
                "version": n,
                "child_id": None,
                "changed_fields": [],
            }

        async def read(after: tuple[int, int]) -> list[ChangeEvent]:
            async with engine.connect() as connection, AsyncSession(bind=connection) as session:
                tenant = Tenant(session, clinic_id)
                return await feed_page(tenant, filters=EventFilter(), after=after, limit=10)

        slow, fast = await engine.connect(), await engine.connect()
        try:
            slow_tx = await slow.begin()
            await slow.execute(insert(EVENT_TABLE), [event(1)])  # the earlier position
            async with fast.begin():
                await fast.execute(insert(EVENT_TABLE), [event(2)])
            # The later event is committed, the earlier one not yet: the feed waits for both.
            assert await read((0, 0)) == []
            await slow_tx.commit()
            # Both are final now, unless another session's transaction (anywhere on this
            # server: the horizon is the cluster's, and a parallel test's may have begun
            # between the two) still holds the feed back: wait for it. Each read on the way
            # is a prefix of the commit order (the later event never before the earlier one).
            found: list[ChangeEvent] = []
            for _ in range(300):
                found = await read((0, 0))
                assert [row.version for row in found] == [1, 2][: len(found)]
                if len(found) == 2:
                    break
                await asyncio.sleep(0.05)
            assert [row.version for row in found] == [1, 2]
            position = (found[-1].tx or 0, found[-1].seq or 0)
            assert await read(position) == []
        finally:
            await slow.close()
            await fast.close()
            async with engine.begin() as cleanup:
                await cleanup.execute(
                    text("DELETE FROM change_event WHERE clinic_id = :c"), {"c": clinic_id}
                )
            await engine.dispose()
