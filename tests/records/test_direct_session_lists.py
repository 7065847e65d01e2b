"""Direct lists of session records (PostgreSQL): one statement per page, equal to the session path.

Both lists (the clinic's, filtered, and one child's) are compared page by page with the ORM
session path on the same rows, each path following the other's cursors.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.direct import audit_rows, both_paths, without_request_id
from tests.support.records import seed_child
from tests.support.sessions import URL, create, if_match, sign
from tests.support.tenants import TenantClient, disable_client

pytestmark = pytest.mark.postgres_only


async def _records(client: httpx.AsyncClient, clinic: Clinic) -> None:
    """Records whose bodies exercise every field: signed with two amendments, unsigned, a
    home practice without a practitioner, exercises with and without their optional fields,
    empty and partial notes, a tombstone, the sibling's, and starts across a window."""
    signed = await sign(client, clinic, await create(client, clinic))
    for reason in ("Late entry", "Correction"):
        response = await client.post(
            f"{URL}/{signed['id']}/amendments",
            json={"reason": reason, "text": f"{reason}: the hold moved to the knees."},
            headers=clinic.headers,
        )
        assert response.status_code == 201, response.text
    await create(
        client,
        clinic,
        type="dirfloortime",
        setting="telehealth",
        started_at="2025-03-06T15:30:00Z",
        exercises=[clinic.exercise(2)],
        notes={},
    )
    await create(
        client,
        clinic,
        type="home_practice",
        setting="home",
        practitioner_id=None,
        started_at="2025-03-01T10:59:00+01:00",
        attendance="attended",
        caregiver_present=False,
        exercises=[],
        notes={"objective": "Sat unsupported for 20 s."},
    )
    gone = await create(client, clinic, started_at="2025-03-02T08:00:00Z")
    response = await client.delete(f"{URL}/{gone['id']}", headers=if_match(clinic, gone))
    assert response.status_code == 204
    for day in (3, 7, 9):
        await create(client, clinic, started_at=f"2025-03-{day:02d}T08:00:00-05:00")
    await create(
        client,
        clinic,
        child_id=clinic.sibling_id,
        exercises=[clinic.exercise(0, prescription_item_id=clinic.sibling_item_id)],
    )


def _path(clinic: Clinic, nested: bool, params: dict[str, str]) -> str:
    names = {"child": clinic.child_id, "practitioner": clinic.practitioner_id}
    query = urlencode({k: v.format(**names) for k, v in params.items()})
    base = f"/v1/children/{clinic.child_id}/session-records" if nested else URL
    return f"{base}?{query}"


WINDOW = {"from": "2025-03-01T11:00:00+01:00", "to": "2025-03-09T13:00:00Z"}


class TestEveryPage:
    @pytest.mark.parametrize(
        ("nested", "params"),
        [
            (False, {"limit": "2"}),
            (False, {"limit": "2", "sort": "-updated_at"}),
            (False, {"limit": "3", "sort": "created_at"}),
            (False, {"limit": "1", "sort": "-created_at", "type": "dmi"}),
            (False, {"limit": "2", "child_id": "{child}"}),
            (False, {"limit": "2", "practitioner_id": "{practitioner}"}),
            (False, {"limit": "2", **WINDOW}),
            (False, {"limit": "2", "updated_since": "2000-01-01T00:00:00Z"}),
            (False, {"limit": "200", "type": "evaluation"}),
            (True, {"limit": "2"}),
            (True, {"limit": "2", "sort": "-created_at", **WINDOW}),
            (True, {"limit": "3", "updated_since": "2000-01-01T00:00:00Z"}),
            (True, {"limit": "1", "type": "home_practice"}),
            (True, {"limit": "50"}),
        ],
    )
    async def test_equals_the_session_path(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        nested: bool,
        params: dict[str, str],
    ) -> None:
        await _records(client, clinic)
        await _records(client, other)
        path: str | None = _path(clinic, nested, params)
        pages = rows = 0
        while path is not None:
            direct, session = await both_paths(app, client, path, clinic.headers)
            assert direct.status_code == session.status_code == 200, direct.text
            assert direct.json()["data"] == session.json()["data"]
            assert direct.content.startswith(b'{"data":')
            for record in direct.json()["data"]:
                assert record["child_id"] in (clinic.child_id, clinic.sibling_id)
                if nested:
                    assert record["child_id"] == clinic.child_id
            rows += len(direct.json()["data"])
            # Cursors are sealed with a fresh nonce each time: equal in meaning, not in text.
            # Each path's cursor is followed in turn, so each reads the other's.
            cursors = (direct.json()["next_cursor"], session.json()["next_cursor"])
            assert (cursors[0] is None) == (cursors[1] is None)
            assert ("link" in direct.headers) == ("link" in session.headers)
            cursor = cursors[pages % 2]
            path = _path(clinic, nested, {**params, "cursor": cursor}) if cursor else None
            pages += 1
        assert pages >= 1
        if params.get("type") != "evaluation":
            assert rows >= 1

    async def test_amendments_oldest_first_and_every_field(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        await _records(client, clinic)
        response = await client.get(
            f"/v1/children/{clinic.child_id}/session-records",
            params={"limit": "50", "sort": "created_at"},
            headers=clinic.headers,
        )
        assert response.status_code == 200
        first = response.json()["data"][0]
        assert [a["reason"] for a in first["amendments"]] == ["Late entry", "Correction"]
        assert first["ended_at"] == "2025-03-04T08:50:00Z"
        assert first["exercises"][0]["prescription_item_id"] == clinic.item_id
        assert first["exercises"][1] == {
            "exercise_id": clinic.exercise_ids[1],
            "prescription_item_id": None,
            "repetitions": 5,
            "sets": 1,
            "support_point": "knees",
            "response": None,
            "note": "Tired at the end.",
        }
        assert first["notes"] == {
            "subjective": "Slept well.",
            "objective": None,
            "assessment": None,
            "plan": "Move the hold to the thighs.",
        }
        assert first["signed_by"] == clinic.practitioner_id


class TestNestedList:
    async def test_other_clinics_and_deleted_children_are_404_onboth_paths(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        tenant_a: TenantClient,
    ) -> None:
        await _records(client, other)
        gone = await seed_child(app, tenant_a, deleted_at=datetime.now(UTC))
        for child_id in (other.child_id, str(gone.id), str(uuid.uuid4())):
            path = f"/v1/children/{child_id}/session-records"
            direct, session = await both_paths(app, client, path, clinic.headers)
            assert direct.status_code == session.status_code == 404
            assert direct.headers["content-type"] == "application/problem+json"
            assert without_request_id(direct.json()) == without_request_id(session.json())
            assert child_id not in direct.text

    async def test_another_clinics_child_as_a_filter_lists_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        await _records(client, other)
        path = f"{URL}?{urlencode({'child_id': other.child_id})}"
        direct, session = await both_paths(app, client, path, clinic.headers)
        assert direct.status_code == session.status_code == 200
        assert direct.json() == session.json() == {"data": [], "next_cursor": None}

    async def test_a_cursor_of_another_child_is_refused(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        await _records(client, clinic)
        first = await client.get(
            f"/v1/children/{clinic.child_id}/session-records?limit=1", headers=clinic.headers
        )
        cursor = first.json()["next_cursor"]
        assert cursor
        response = await client.get(
            f"/v1/children/{clinic.sibling_id}/session-records",
            params={"limit": "1", "cursor": cursor},
            headers=clinic.headers,
        )
        assert response.status_code in (400, 422)
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize(
        "params",
        [
            {"limit": "0"},
            {"limit": "201"},
            {"from": "2025-03-01T10:00:00"},
            {"to": "soon"},
            {"type": "massage"},
            {"cursor": "x" * 2000},
            {"cursor": "not-a-cursor"},
        ],
    )
    async def test_bad_input(
        self, client: httpx.AsyncClient, clinic: Clinic, params: dict[str, str]
    ) -> None:
        response = await client.get(
            f"/v1/children/{clinic.child_id}/session-records",
            params=params,
            headers=clinic.headers,
        )
        assert response.status_code in (400, 422), response.text
        assert response.headers["content-type"] == "application/problem+json"


class TestAuditAndAccess:
    @pytest.mark.parametrize("filtered", [False, True])
    async def test_a_list_is_audited_once_with_its_child(
        self,
        client: httpx.AsyncClient,
        db_connection: AsyncConnection,
        clinic: Clinic,
        filtered: bool,
    ) -> None:
        await _records(client, clinic)
        child = uuid.UUID(clinic.child_id)
        cases = [
            (f"/v1/children/{child}/session-records", child),
            (f"{URL}?child_id={child}" if filtered else URL, child if filtered else None),
        ]
        for path, audited_child in cases:
            request_id = f"req-{uuid.uuid4().hex}"
            response = await client.get(
                path, headers={**clinic.headers, "X-Request-ID": request_id}
            )
            assert response.status_code == 200
            [row] = await audit_rows(db_connection, request_id, clinic.tenant.clinic_id)
            assert (row.action, row.resource_type, row.resource_id, row.child_id) == (
                "list",
                "session_record",
                None,
                audited_child,
            )
            assert row.outcome == 200

    async def test_a_missing_child_is_audited_as_a_denial_only(
        self, client: httpx.AsyncClient, db_connection: AsyncConnection, clinic: Clinic
    ) -> None:
        missing = uuid.uuid4()
        request_id = f"req-{uuid.uuid4().hex}"
        response = await client.get(
            f"/v1/children/{missing}/session-records",
            headers={**clinic.headers, "X-Request-ID": request_id},
        )
        assert response.status_code == 404
        [row] = await audit_rows(db_connection, request_id, clinic.tenant.clinic_id)
        assert (row.action, row.outcome, row.child_id) == ("denied", 404, missing)

    async def test_no_token_and_a_forged_one(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        await _records(client, clinic)
        forged = {"Authorization": clinic.headers["Authorization"][:-4] + "AAAA"}
        for path in (URL, f"/v1/children/{clinic.child_id}/session-records"):
            for headers in ({}, forged):
                response = await client.get(path, headers=headers)
                assert response.status_code == 401
                assert response.headers["content-type"] == "application/problem+json"
                assert "Slept" not in response.text

    async def test_the_wrong_scope_reads_no_row(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        await _records(client, clinic)
        headers = await headers_for(clinic.tenant, "children:read", "sessions:write")
        for path in (URL, f"/v1/children/{clinic.child_id}/session-records"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 403
            assert "Slept" not in response.text

    async def test_a_disabled_client_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        await _records(client, clinic)
        path = f"/v1/children/{clinic.child_id}/session-records"
        assert (await client.get(path, headers=clinic.headers)).status_code == 200
        await disable_client(app, clinic.tenant)
        for refused in (path, URL):
            response = await client.get(refused, headers=clinic.headers)
            assert response.status_code == 401
            assert "Slept" not in response.text
