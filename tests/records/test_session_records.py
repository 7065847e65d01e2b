"""/v1/session-records: sessions as they happened, their exercises, signing and amendments."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection

from dmi_api.direct import session_records as direct_records
from dmi_api.errors import ValidationProblemError
from dmi_api.models import SessionRecord
from dmi_api.schemas.session_records import SessionRecordCreate
from dmi_api.services import session_record_rules as rules
from dmi_api.tenant_scope import bind_settings
from tests.records.conftest import Headers, headers_maker
from tests.support.clinics import START, Clinic
from tests.support.direct import serve_with
from tests.support.sessions import URL, create, if_match, make_clinic, sign
from tests.support.tenants import disable_client, make_tenant


async def patch(
    client: httpx.AsyncClient, clinic: Clinic, row: dict[str, Any], body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(f"{URL}/{row['id']}", json=body, headers=if_match(clinic, row))


async def listed(client: httpx.AsyncClient, clinic: Clinic, **params: Any) -> list[str]:
    response = await client.get(URL, params=params, headers=clinic.headers)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


def pointers(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["pointer"] for e in response.json()["errors"]]


def clinical(body: dict[str, Any]) -> dict[str, Any]:
    """The clinical fields of a record (not version, timestamps, signature or amendments)."""
    skip = {"version", "created_at", "updated_at", "signed_at", "signed_by", "amendments"}
    return {k: v for k, v in body.items() if k not in skip}


def _future(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.mark.usefixtures("serving_path")
class TestCreate:
    async def test_no_token(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        assert (await client.post(URL, json=clinic.new())).status_code == 401

    async def test_wrong_scope(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "sessions:read", "assessments:write")
        assert (await client.post(URL, json=clinic.new(), headers=headers)).status_code == 403

    @pytest.mark.parametrize(
        ("fields", "pointer"),
        [
            ({"type": "massage"}, "#/type"),
            ({"setting": "moon"}, "#/setting"),
            ({"attendance": "late"}, "#/attendance"),
            ({"started_at": "2025-03-04T09:00:00"}, "#/started_at"),
            ({"started_at": "yesterday"}, "#/started_at"),
            ({"duration_minutes": 0}, "#/duration_minutes"),
            ({"duration_minutes": -5}, "#/duration_minutes"),
            ({"duration_minutes": 721}, "#/duration_minutes"),
            ({"duration_minutes": None}, "#/duration_minutes"),
            ({"duration_minutes": None, "ended_at": "2025-03-04T08:00:00+01:00"}, "#/ended_at"),
            ({"duration_minutes": None, "ended_at": START}, "#/ended_at"),
            ({"duration_minutes": None, "ended_at": "2025-03-05T09:00:00+01:00"}, "#/ended_at"),
            ({"ended_at": "2025-03-04T10:00:00+01:00"}, "#/ended_at"),
            ({"practitioner_id": None}, "#/practitioner_id"),
            ({"started_at": "2020-01-01T09:00:00+00:00"}, "#/started_at"),
            ({"id": str(uuid.uuid4())}, "#/id"),
            ({"version": 3}, "#/version"),
            ({"signed_at": "2025-03-04T10:00:00Z"}, "#/signed_at"),
            ({"amendments": []}, "#/amendments"),
            ({"notes": {"subjective": "a\u0000b"}}, "#/notes/subjective"),
            ({"notes": {"subjective": "x" * 10_001}}, "#/notes/subjective"),
            ({"notes": {"mood": "fine"}}, "#/notes/mood"),
            ({"child_id": str(uuid.uuid4())}, "#/child_id"),
            ({"practitioner_id": str(uuid.uuid4())}, "#/practitioner_id"),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        fields: dict[str, Any],
        pointer: str,
    ) -> None:
        response = await client.post(URL, json=clinic.new(**fields), headers=clinic.headers)
        assert pointer in pointers(response)

    @pytest.mark.parametrize(
        ("entry", "pointer"),
        [
            ({"repetitions": 501}, "#/exercises/0/repetitions"),
            ({"repetitions": -1}, "#/exercises/0/repetitions"),
            ({"sets": 51}, "#/exercises/0/sets"),
            ({"support_point": "elbow"}, "#/exercises/0/support_point"),
            ({"response": "great"}, "#/exercises/0/response"),
            ({"note": "x" * 2001}, "#/exercises/0/note"),
            ({"note": "a\u0000b"}, "#/exercises/0/note"),
            ({"colour": "red"}, "#/exercises/0/colour"),
            ({"exercise_id": str(uuid.uuid4())}, "#/exercises/0/exercise_id"),
            ({"prescription_item_id": str(uuid.uuid4())}, "#/exercises/0/prescription_item_id"),
        ],
    )
    async def test_bad_exercise(
        self, client: httpx.AsyncClient, clinic: Clinic, entry: dict[str, Any], pointer: str
    ) -> None:
        payload = clinic.new(exercises=[clinic.exercise(0, **entry)])
        response = await client.post(URL, json=payload, headers=clinic.headers)
        assert pointer in pointers(response)

    async def test_start_more_than_a_day_ahead(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        far = await client.post(URL, json=clinic.new(started_at=_future(2)), headers=clinic.headers)
        assert pointers(far) == ["#/started_at"]
        near = clinic.new(started_at=_future(0.5), exercises=[])
        assert (await client.post(URL, json=near, headers=clinic.headers)).status_code == 201

    async def test_too_many_exercises(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        payload = clinic.new(exercises=[clinic.exercise(1)] * 101)
        assert pointers(await client.post(URL, json=payload, headers=clinic.headers)) == [
            "#/exercises"
        ]

    async def test_another_clinics_references_look_like_missing_ones(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        payload = clinic.new(
            child_id=other.child_id,
            practitioner_id=other.practitioner_id,
        )
        response = await client.post(URL, json=payload, headers=clinic.headers)
        errors = {e["pointer"]: e for e in response.json()["errors"]}
        assert set(errors) == {"#/child_id", "#/practitioner_id"}
        missing = await client.post(
            URL, json=clinic.new(child_id=str(uuid.uuid4())), headers=clinic.headers
        )
        assert errors["#/child_id"] == missing.json()["errors"][0]
        foreign = clinic.new(
            exercises=[
                {"exercise_id": other.exercise_ids[0]},
                {"exercise_id": clinic.exercise_ids[0], "prescription_item_id": other.item_id},
            ]
        )
        assert pointers(await client.post(URL, json=foreign, headers=clinic.headers)) == [
            "#/exercises/0/exercise_id",
            "#/exercises/1/prescription_item_id",
        ]

    async def test_prescription_item_must_be_this_childs_and_this_exercise(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        siblings = clinic.new(
            exercises=[clinic.exercise(0, prescription_item_id=clinic.sibling_item_id)]
        )
        response = await client.post(URL, json=siblings, headers=clinic.headers)
        assert response.json()["errors"][0]["code"] == "reference_not_found"
        assert pointers(response) == ["#/exercises/0/prescription_item_id"]
        mismatch = clinic.new(exercises=[clinic.exercise(1, prescription_item_id=clinic.item_id)])
        response = await client.post(URL, json=mismatch, headers=clinic.headers)
        assert response.json()["errors"][0]["code"] == "exercise_mismatch"

    async def test_home_practice_needs_no_practitioner(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(
            client, clinic, type="home_practice", setting="home", practitioner_id=None
        )
        assert row["practitioner_id"] is None

    async def test_success_with_duration(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        response = await client.post(URL, json=clinic.new(), headers=clinic.headers)
        assert response.status_code == 201
        body = response.json()
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{URL}/{body['id']}"
        assert datetime.fromisoformat(body["started_at"]) == datetime.fromisoformat(START)
        assert datetime.fromisoformat(body["ended_at"]) - datetime.fromisoformat(
            body["started_at"]
        ) == timedelta(minutes=50)
        assert body["exercises"][0]["prescription_item_id"] == clinic.item_id
        assert body["exercises"][1]["support_point"] == "knees"
        assert body["notes"] == {
            "subjective": "Slept well.",
            "objective": None,
            "assessment": None,
            "plan": "Move the hold to the thighs.",
        }
        assert body["signed_at"] is None
        assert body["amendments"] == []

    async def test_success_with_end_derives_duration(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic, duration_minutes=None, ended_at="2025-03-04T08:45:00Z")
        assert row["duration_minutes"] == 45


class TestAtomicityAndIdempotency:
    async def test_fifty_exercises_with_one_bad_store_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        entries = [clinic.exercise(i % 3) for i in range(50)]
        entries[37] = {"exercise_id": str(uuid.uuid4())}
        response = await client.post(
            URL, json=clinic.new(exercises=entries), headers=clinic.headers
        )
        assert pointers(response) == ["#/exercises/37/exercise_id"]
        assert await listed(client, clinic) == []
        good = await create(client, clinic, exercises=[clinic.exercise(i % 3) for i in range(50)])
        assert len(good["exercises"]) == 50

    async def test_references_resolve_in_one_query_each(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        db_connection: AsyncConnection,
    ) -> None:
        entries = [clinic.exercise(i % 3) for i in range(30)]
        entries += [clinic.exercise(0, prescription_item_id=clinic.item_id)] * 10
        direct = app.state.direct
        serve_with(app, None)  # the session path (SQLite's)
        try:
            with _selects(db_connection, "exercise", "prescription_item") as seen:
                await create(client, clinic, exercises=entries)
        finally:
            serve_with(app, direct)
        assert len(seen["exercise"]) == 1
        assert len(seen["prescription_item"]) == 1

    @pytest.mark.postgres_only
    async def test_a_direct_create_is_one_statement_whatever_its_size(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        entries = [clinic.exercise(i % 3) for i in range(30)]
        entries += [clinic.exercise(0, prescription_item_id=clinic.item_id)] * 10
        with _direct_statements(app) as statements:
            created = await create(client, clinic, exercises=entries)
        assert len(created["exercises"]) == 40
        assert len(statements) == 1

    async def test_replay_and_reuse(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        keyed = {**clinic.headers, "Idempotency-Key": "session-1"}
        first = await client.post(URL, json=clinic.new(), headers=keyed)
        second = await client.post(URL, json=clinic.new(), headers=keyed)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        other = await client.post(URL, json=clinic.new(duration_minutes=30), headers=keyed)
        assert other.status_code == 422
        assert await listed(client, clinic) == [first.json()["id"]]

    @pytest.mark.postgres_only
    async def test_concurrent_requests_with_one_key_make_one_row(
        self, live_app: FastAPI, live_client: httpx.AsyncClient
    ) -> None:
        tenant = await make_tenant(live_app)
        # Minted and seeded by the live app: its rows are committed, the rolled-back app's are not.
        clinic = await make_clinic(live_app, tenant, headers_maker(live_app))
        keyed = {**clinic.headers, "Idempotency-Key": f"race-{uuid.uuid4()}"}
        responses = await asyncio.gather(
            *(live_client.post(URL, json=clinic.new(), headers=keyed) for _ in range(5))
        )
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}, statuses
        assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
        listed = await live_client.get(URL, headers=clinic.headers)
        assert len(listed.json()["data"]) == 1


class TestReadAndConditional:
    async def test_scopes(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        row = await create(client, clinic)
        path = f"{URL}/{row['id']}"
        assert (await client.get(path)).status_code == 401
        write_only = await headers_for(clinic.tenant, "sessions:write")
        assert (await client.get(path, headers=write_only)).status_code == 403
        assert (await client.get(URL, headers=write_only)).status_code == 403
        read_only = await headers_for(clinic.tenant, "sessions:read")
        assert (await client.get(path, headers=read_only)).status_code == 200
        for method, suffix in (("PATCH", ""), ("DELETE", ""), ("POST", "/sign")):
            response = await client.request(
                method, path + suffix, json={}, headers={**read_only, "If-Match": '"1"'}
            )
            assert response.status_code == 403

    async def test_cross_clinic_is_404_like_missing(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        row = await create(client, clinic)
        theirs = await client.get(f"{URL}/{row['id']}", headers=other.headers)
        missing = await client.get(f"{URL}/{uuid.uuid4()}", headers=other.headers)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json()["detail"] == missing.json()["detail"]
        headers = {**other.headers, "If-Match": '"1"'}
        for method, suffix, body in (
            ("PATCH", "", {"duration_minutes": 10}),
            ("DELETE", "", None),
            ("POST", "/sign", {"signed_by": other.practitioner_id}),
            ("POST", "/amendments", {"reason": "x", "text": "y"}),
            ("GET", "/versions", None),
        ):
            response = await client.request(
                method, f"{URL}/{row['id']}{suffix}", json=body, headers=headers
            )
            assert response.status_code == 404, (method, suffix)
        nested = await client.get(
            f"/v1/children/{clinic.child_id}/session-records", headers=other.headers
        )
        assert nested.status_code == 404

    async def test_etag_304_428_412(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        row = await create(client, clinic)
        path = f"{URL}/{row['id']}"
        got = await client.get(path, headers=clinic.headers)
        assert got.headers["etag"] == '"1"'
        cached = await client.get(path, headers={**clinic.headers, "If-None-Match": '"1"'})
        assert cached.status_code == 304
        assert (
            await client.patch(path, json={"duration_minutes": 40}, headers=clinic.headers)
        ).status_code == 428
        updated = await patch(client, clinic, row, {"duration_minutes": 40})
        assert updated.status_code == 200
        assert updated.headers["etag"] == '"2"'
        stale = await patch(client, clinic, row, {"duration_minutes": 30})
        assert stale.status_code == 412
        assert (await client.get(path, headers=clinic.headers)).json()["duration_minutes"] == 40
        assert (await client.delete(path, headers=if_match(clinic, row))).status_code == 412
        assert (await client.delete(path, headers=clinic.headers)).status_code == 428
        sign_without = await client.post(
            f"{path}/sign", json={"signed_by": clinic.practitioner_id}, headers=clinic.headers
        )
        assert sign_without.status_code == 428


class TestPatch:
    async def test_changes_and_derived_duration(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic)
        response = await patch(
            client,
            clinic,
            row,
            {"ended_at": "2025-03-04T09:30:00+01:00", "attendance": "no_show", "exercises": []},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["duration_minutes"] == 30
        assert body["attendance"] == "no_show"
        assert body["exercises"] == []

    @pytest.mark.parametrize(
        ("body", "pointer"),
        [
            ({"duration_minutes": None}, "#/duration_minutes"),
            ({"type": None}, "#/type"),
            ({"exercises": None}, "#/exercises"),
            ({"ended_at": "2025-03-04T07:00:00Z"}, "#/ended_at"),
            ({"duration_minutes": 30, "ended_at": "2025-03-04T09:30:00Z"}, "#/ended_at"),
            ({"practitioner_id": None}, "#/practitioner_id"),
            ({"practitioner_id": str(uuid.uuid4())}, "#/practitioner_id"),
            ({"child_id": str(uuid.uuid4())}, "#/child_id"),
            ({"started_at": "2020-01-01T00:00:00Z"}, "#/started_at"),
            ({"exercises": [{"exercise_id": str(uuid.uuid4())}]}, "#/exercises/0/exercise_id"),
        ],
    )
    async def test_bad_patch_changes_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic, body: dict[str, Any], pointer: str
    ) -> None:
        row = await create(client, clinic)
        assert pointer in pointers(await patch(client, clinic, row, body))
        now = (await client.get(f"{URL}/{row['id']}", headers=clinic.headers)).json()
        assert now["version"] == 1
        assert clinical(now)["exercises"] == row["exercises"]

    async def test_patch_to_home_practice_may_drop_the_practitioner(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic)
        response = await patch(
            client, clinic, row, {"type": "home_practice", "practitioner_id": None}
        )
        assert response.status_code == 200, response.text
        assert response.json()["practitioner_id"] is None


class TestSigning:
    async def test_signed_record_is_frozen_and_only_amended(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic)
        path = f"{URL}/{row['id']}"
        signed = await sign(client, clinic, row)
        assert signed["signed_by"] == clinic.practitioner_id
        assert signed["signed_at"] is not None
        assert signed["version"] == 2
        refused = await patch(client, clinic, signed, {"duration_minutes": 10})
        assert refused.status_code == 409
        assert refused.json()["code"] == "session_signed"
        deleted = await client.delete(path, headers=if_match(clinic, signed))
        assert deleted.status_code == 409
        assert deleted.json()["code"] == "session_signed"
        again = await client.post(
            f"{path}/sign",
            json={"signed_by": clinic.practitioner_id},
            headers=if_match(clinic, signed),
        )
        assert again.status_code == 409
        assert again.json()["code"] == "already_signed"

        for index, reason in enumerate(("Late entry", "Correction")):
            body = {
                "reason": reason,
                "text": f"Addendum {index}.",
                "author_id": clinic.practitioner_id,
            }
            added = await client.post(f"{path}/amendments", json=body, headers=clinic.headers)
            assert added.status_code == 201, added.text
            assert added.json()["reason"] == reason
        now = (await client.get(path, headers=clinic.headers)).json()
        assert clinical(now) == clinical(row)
        assert now["signed_by"] == clinic.practitioner_id
        assert [a["reason"] for a in now["amendments"]] == ["Late entry", "Correction"]
        assert now["version"] == 4
        cached = await client.get(path, headers={**clinic.headers, "If-None-Match": '"2"'})
        assert cached.status_code == 200
        listed_rows = (await client.get(URL, headers=clinic.headers)).json()["data"]
        assert len(listed_rows[0]["amendments"]) == 2

    async def test_sign_and_amend_validation(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        row = await create(client, clinic)
        path = f"{URL}/{row['id']}"
        unsigned = await client.post(
            f"{path}/amendments", json={"reason": "r", "text": "t"}, headers=clinic.headers
        )
        assert unsigned.status_code == 409
        assert unsigned.json()["code"] == "session_not_signed"
        for body, pointer in (
            ({"signed_by": other.practitioner_id}, "#/signed_by"),
            ({"signed_by": "nope"}, "#/signed_by"),
            ({}, "#/signed_by"),
            (
                {"signed_by": clinic.practitioner_id, "signed_at": "2025-01-01T00:00:00Z"},
                "#/signed_at",
            ),
        ):
            response = await client.post(f"{path}/sign", json=body, headers=if_match(clinic, row))
            assert pointer in pointers(response)
        signed = await sign(client, clinic, row)
        for body, pointer in (
            ({"reason": "", "text": "t"}, "#/reason"),
            ({"reason": "r" * 501, "text": "t"}, "#/reason"),
            ({"reason": "r", "text": "a\u0000b"}, "#/text"),
            ({"reason": "r"}, "#/text"),
            ({"reason": "r", "text": "t", "author_id": other.practitioner_id}, "#/author_id"),
            ({"reason": "r", "text": "t", "created_at": "2025-01-01T00:00:00Z"}, "#/created_at"),
        ):
            response = await client.post(f"{path}/amendments", json=body, headers=clinic.headers)
            assert pointer in pointers(response)
        now = (await client.get(path, headers=clinic.headers)).json()
        assert now["amendments"] == []
        assert now["version"] == signed["version"]

    async def test_amendment_replay(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        row = await sign(client, clinic, await create(client, clinic))
        keyed = {**clinic.headers, "Idempotency-Key": "amend-1"}
        body = {"reason": "Late entry", "text": "Fell the night before."}
        first = await client.post(f"{URL}/{row['id']}/amendments", json=body, headers=keyed)
        second = await client.post(f"{URL}/{row['id']}/amendments", json=body, headers=keyed)
        assert first.json() == second.json()
        now = (await client.get(f"{URL}/{row['id']}", headers=clinic.headers)).json()
        assert len(now["amendments"]) == 1

    async def test_versions_keep_each_step(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        row = await create(client, clinic)
        updated = (await patch(client, clinic, row, {"duration_minutes": 40})).json()
        signed = await sign(client, clinic, updated)
        await client.post(
            f"{URL}/{row['id']}/amendments",
            json={"reason": "Correction", "text": "40 minutes, not 50."},
            headers=clinic.headers,
        )
        history = await client.get(f"{URL}/{row['id']}/versions", headers=clinic.headers)
        versions = history.json()["data"]
        assert [v["version"] for v in versions] == [1, 2, 3, 4]
        assert [v["resource"]["duration_minutes"] for v in versions] == [50, 40, 40, 40]
        assert versions[2]["resource"]["signed_at"] is not None
        assert versions[2]["resource"]["signed_at"] == signed["signed_at"]
        assert [len(v["resource"]["amendments"]) for v in versions] == [0, 0, 0, 1]


@pytest.mark.usefixtures("serving_path")
class TestListsAndSync:
    async def test_pages_stay_stable_with_inserts_in_between(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        for _ in range(5):
            await create(client, clinic, exercises=[])
        first = await client.get(
            URL, params={"limit": 2, "sort": "created_at"}, headers=clinic.headers
        )
        page = first.json()
        assert 'rel="next"' in first.headers["link"]
        await create(client, clinic, exercises=[])
        seen = [row["id"] for row in page["data"]]
        cursor = page["next_cursor"]
        while cursor:
            page = (
                await client.get(
                    URL,
                    params={"limit": 2, "sort": "created_at", "cursor": cursor},
                    headers=clinic.headers,
                )
            ).json()
            seen += [row["id"] for row in page["data"]]
            cursor = page["next_cursor"]
        assert len(seen) == len(set(seen)) == 6

    async def test_tampered_or_rebound_cursor_is_422(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        for _ in range(3):
            await create(client, clinic, exercises=[])
        cursor = (await client.get(URL, params={"limit": 1}, headers=clinic.headers)).json()[
            "next_cursor"
        ]
        flipped = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
        for params in ({"cursor": flipped}, {"cursor": cursor, "type": "dmi"}):
            response = await client.get(URL, params={"limit": 1, **params}, headers=clinic.headers)
            assert response.status_code == 422

    async def test_updated_since_includes_tombstones(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        since = datetime.now(UTC).isoformat()
        kept = await create(client, clinic)
        gone = await create(client, clinic)
        path = f"{URL}/{gone['id']}"
        assert (await client.delete(path, headers=if_match(clinic, gone))).status_code == 204
        assert (await client.get(path, headers=clinic.headers)).status_code == 404
        assert await listed(client, clinic) == [kept["id"]]
        feed = (
            await client.get(URL, params={"updated_since": since}, headers=clinic.headers)
        ).json()["data"]
        by_id = {row["id"]: row for row in feed}
        assert set(by_id) == {kept["id"], gone["id"]}
        assert by_id[gone["id"]]["deleted_at"] is not None
        assert by_id[kept["id"]]["deleted_at"] is None

    async def test_filters_and_nested_list(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        early = await create(client, clinic, started_at="2025-03-01T10:00:00Z", exercises=[])
        late = await create(client, clinic, started_at="2025-03-10T10:00:00Z", exercises=[])
        home = await create(
            client,
            clinic,
            child_id=clinic.sibling_id,
            type="home_practice",
            practitioner_id=None,
            started_at="2025-03-05T10:00:00Z",
            exercises=[],
        )
        assert set(await listed(client, clinic, child_id=clinic.child_id)) == {
            early["id"],
            late["id"],
        }
        assert await listed(client, clinic, type="home_practice") == [home["id"]]
        assert set(await listed(client, clinic, practitioner_id=clinic.practitioner_id)) == {
            early["id"],
            late["id"],
        }
        # `from` inclusive, `to` exclusive; offsets are compared as instants.
        window = {"from": "2025-03-01T11:00:00+01:00", "to": "2025-03-10T10:00:00Z"}
        assert set(await listed(client, clinic, **window)) == {early["id"], home["id"]}
        nested = await client.get(
            f"/v1/children/{clinic.sibling_id}/session-records", headers=clinic.headers
        )
        assert [row["id"] for row in nested.json()["data"]] == [home["id"]]
        for params in (
            {"limit": 201},
            {"sort": "started_at"},
            {"type": "massage"},
            {"from": "2025-03-01T10:00:00"},
            {"to": "soon"},
        ):
            response = await client.get(URL, params=params, headers=clinic.headers)
            assert response.status_code == 422, params

    async def test_amendments_load_with_the_page_not_per_record(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        db_connection: AsyncConnection,
    ) -> None:
        for _ in range(4):
            row = await sign(client, clinic, await create(client, clinic, exercises=[]))
            await client.post(
                f"{URL}/{row['id']}/amendments",
                json={"reason": "r", "text": "t"},
                headers=clinic.headers,
            )
        direct = app.state.direct
        serve_with(app, None)  # the session path (SQLite's): one query for the page's amendments
        try:
            with _selects(db_connection, "session_amendment") as seen:
                response = await client.get(URL, headers=clinic.headers)
        finally:
            serve_with(app, direct)
        assert [len(row["amendments"]) for row in response.json()["data"]] == [1, 1, 1, 1]
        assert len(seen["session_amendment"]) == 1
        if direct is not None:  # PostgreSQL: the page, its amendments and its audit, one statement
            with _direct_statements(app) as statements:
                response = await client.get(URL, headers=clinic.headers)
            assert [len(row["amendments"]) for row in response.json()["data"]] == [1, 1, 1, 1]
            assert len(statements) == 1


@contextmanager
def _selects(connection: AsyncConnection, *tables: str) -> Iterator[dict[str, list[str]]]:
    """The SELECTs reading FROM each table that run on this connection while the block runs."""
    seen: dict[str, list[str]] = {table: [] for table in tables}

    def record(*args: Any) -> None:
        statement = " ".join(str(args[2]).split())
        if not statement.upper().startswith("SELECT"):
            return
        for table in tables:
            if re.search(rf"FROM {table}\b", statement):
                seen[table].append(statement)

    sync = connection.sync_connection
    assert sync is not None
    event.listen(sync, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(sync, "before_cursor_execute", record)


@contextmanager
def _direct_statements(app: FastAPI) -> Iterator[list[str]]:
    """The direct statements run meanwhile (their SQL), in order."""
    statements: list[str] = []
    direct = app.state.direct
    original = direct.fetch

    async def counting(principal: Any, sql: str, args: Any) -> Any:
        statements.append(sql)
        return await original(principal, sql, args)

    direct.fetch = counting
    try:
        yield statements
    finally:
        del direct.fetch


async def _hide(app: FastAPI, clinic: Clinic, table: str, column: str, row_id: str) -> None:
    """Soft-delete a row behind the API's back (`column`: deleted_at or removed_at)."""
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic.tenant.clinic_id)
        await db.execute(
            text(f"UPDATE {table} SET {column} = now() WHERE id = :id"),  # noqa: S608 (constants)
            {"id": uuid.UUID(row_id)},
        )
        await db.commit()


@pytest.mark.postgres_only
class TestDirectCreate:
    """PostgreSQL creates records in two direct statements; SQLite through the session. Both
    answer alike, keep the same first version and audit the same event."""

    async def _both(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, body: dict[str, Any]
    ) -> tuple[httpx.Response, httpx.Response]:
        direct = app.state.direct
        assert direct is not None
        first = await client.post(URL, json=body, headers=clinic.headers)
        serve_with(app, None)
        try:
            second = await client.post(URL, json=body, headers=clinic.headers)
        finally:
            serve_with(app, direct)
        return first, second

    async def test_the_same_record_version_and_headers(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        direct, session = await self._both(app, client, clinic, clinic.new())
        assert direct.status_code == session.status_code == 201
        server_owned = {"id", "created_at", "updated_at"}
        assert {k: v for k, v in direct.json().items() if k not in server_owned} == {
            k: v for k, v in session.json().items() if k not in server_owned
        }
        for response in (direct, session):
            record = response.json()
            assert response.headers["location"] == f"{URL}/{record['id']}"
            assert response.headers["etag"] == '"1"'
            read = await client.get(response.headers["location"], headers=clinic.headers)
            assert read.json() == record
            versions = await client.get(f"{URL}/{record['id']}/versions", headers=clinic.headers)
            [kept] = versions.json()["data"]
            assert kept["version"] == 1
            assert kept["resource"] == record
            assert kept["client_id"] == str(clinic.tenant.client_id)

    async def test_the_same_problems(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        bad = clinic.new(
            practitioner_id=str(uuid.uuid4()),
            started_at="2000-01-01T09:00:00Z",
            exercises=[
                clinic.exercise(0, prescription_item_id=clinic.sibling_item_id),
                {"exercise_id": str(uuid.uuid4()), "repetitions": 1, "sets": 1},
                clinic.exercise(1, prescription_item_id=clinic.item_id),
            ],
        )
        for body in (
            bad,
            clinic.new(child_id=str(uuid.uuid4())),
            clinic.new(
                child_id=clinic.sibling_id,
                exercises=[clinic.exercise(0, prescription_item_id=clinic.item_id)],
            ),
        ):
            direct, session = await self._both(app, client, clinic, body)
            assert direct.status_code == session.status_code == 422
            assert direct.json()["errors"] == session.json()["errors"]
            assert len(direct.json()["errors"]) >= 1
        assert await listed(client, clinic) == []

    async def test_another_clinics_references_are_unknown(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        body = clinic.new(child_id=other.child_id, practitioner_id=other.practitioner_id)
        response = await client.post(URL, json=body, headers=clinic.headers)
        assert response.status_code == 422
        assert {e["pointer"] for e in response.json()["errors"]} == {
            "#/child_id",
            "#/practitioner_id",
        }
        assert await listed(client, other) == []

    async def test_a_disabled_client_writes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        assert (
            await client.post(URL, json=clinic.new(), headers=clinic.headers)
        ).status_code == 201
        await disable_client(app, clinic.tenant)
        response = await client.post(URL, json=clinic.new(), headers=clinic.headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize(
        "fields",
        [
            # Born that very day in UTC (the day before where the session was written down).
            {"started_at": "2024-02-29T23:30:00-05:00"},
            {"type": "home_practice", "setting": "home", "practitioner_id": None},
            {"exercises": []},
            {"exercises": [{"index": 0, "prescription_item_id": "item"}] * 3},
        ],
        ids=["born-that-day", "no-practitioner", "no-exercises", "one-item-thrice"],
    )
    async def test_a_valid_record_is_written_in_one_statement(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, fields: dict[str, Any]
    ) -> None:
        if "exercises" in fields:
            fields = {
                "exercises": [
                    clinic.exercise(e["index"], prescription_item_id=clinic.item_id)
                    for e in fields["exercises"]
                ]
            }
        with _direct_statements(app) as statements:
            response = await client.post(URL, json=clinic.new(**fields), headers=clinic.headers)
        assert response.status_code == 201, response.text
        assert len(statements) == 1
        read = await client.get(response.headers["location"], headers=clinic.headers)
        assert read.json() == response.json()

    @pytest.mark.parametrize(
        ("wrong", "expected"),
        [
            ("unknown-child", [("#/child_id", "reference_not_found")]),
            ("deleted-child", [("#/child_id", "reference_not_found")]),
            ("unknown-practitioner", [("#/practitioner_id", "reference_not_found")]),
            ("deleted-practitioner", [("#/practitioner_id", "reference_not_found")]),
            ("unknown-exercise", [("#/exercises/1/exercise_id", "reference_not_found")]),
            ("deleted-exercise", [("#/exercises/1/exercise_id", "reference_not_found")]),
            ("siblings-item", [("#/exercises/0/prescription_item_id", "reference_not_found")]),
            ("removed-item", [("#/exercises/0/prescription_item_id", "reference_not_found")]),
            (
                "item-for-another-exercise",
                [("#/exercises/1/prescription_item_id", "exercise_mismatch")],
            ),
            (
                "one-item-two-exercises",
                [("#/exercises/1/prescription_item_id", "exercise_mismatch")],
            ),
            # The day before the birth in UTC (where the session was written down: the birth day).
            ("before-birth", [("#/started_at", "before_birth")]),
        ],
    )
    async def test_one_wrong_reference_writes_nothing_and_is_named(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        wrong: str,
        expected: list[tuple[str, str]],
    ) -> None:
        body = clinic.new()
        same_item = {"prescription_item_id": clinic.item_id}
        match wrong:
            case "unknown-child":
                body["child_id"] = str(uuid.uuid4())
            case "deleted-child":
                await _hide(app, clinic, "child", "deleted_at", clinic.child_id)
            case "unknown-practitioner":
                body["practitioner_id"] = str(uuid.uuid4())
            case "deleted-practitioner":
                await _hide(app, clinic, "practitioner", "deleted_at", clinic.practitioner_id)
            case "unknown-exercise":
                body["exercises"][1]["exercise_id"] = str(uuid.uuid4())
            case "deleted-exercise":
                await _hide(app, clinic, "exercise", "deleted_at", clinic.exercise_ids[1])
            case "siblings-item":
                body["exercises"][0]["prescription_item_id"] = clinic.sibling_item_id
            case "removed-item":
                await _hide(app, clinic, "prescription_item", "removed_at", clinic.item_id)
            case "item-for-another-exercise":
                body["exercises"] = [clinic.exercise(0), clinic.exercise(1, **same_item)]
            case "one-item-two-exercises":
                body["exercises"] = [
                    clinic.exercise(0, **same_item),
                    clinic.exercise(1, **same_item),
                ]
            case "before-birth":
                body["started_at"] = "2024-03-01T00:30:00+02:00"
        with _direct_statements(app) as statements:
            response = await client.post(URL, json=body, headers=clinic.headers)
        assert response.status_code == 422, response.text
        errors = [(e["pointer"], e["code"]) for e in response.json()["errors"]]
        assert errors == expected
        # Tried at once (unless the payload alone shows a mismatch), then read and explained:
        # no write follows the 422.
        assert len(statements) == (1 if wrong == "one-item-two-exercises" else 2)
        assert await listed(client, clinic) == []
        direct = app.state.direct
        serve_with(app, None)
        try:
            session = await client.post(URL, json=body, headers=clinic.headers)
        finally:
            serve_with(app, direct)
        assert session.json()["errors"] == response.json()["errors"]

    def test_the_row_written_is_the_models_row(self, clinic: Clinic) -> None:
        payload = SessionRecordCreate.model_validate(clinic.new())
        values = rules.new_record(payload, clinic.tenant.clinic_id).values
        assert values is not None
        written = direct_records._unsaved(values)
        model = SessionRecord(**values)
        generated = {"id", "created_at", "updated_at"}
        for name in SessionRecord.model_fields:
            if name in generated:
                assert type(getattr(written, name)) is type(getattr(model, name)), name
            else:
                assert getattr(written, name) == getattr(model, name), name
        assert written.id != model.id
        assert written.version == 1
        assert written.signed_at is None

    def test_the_rules_answer_in_one_call(self, clinic: Clinic) -> None:
        # Both paths ask `rules.new_record` once: what to look up, what is assumed, the values.
        payload = SessionRecordCreate.model_validate(clinic.new())
        new = rules.new_record(payload, clinic.tenant.clinic_id)
        assert new.exercise_ids == sorted(uuid.UUID(e) for e in clinic.exercise_ids[:2])
        assert new.item_ids == [uuid.UUID(clinic.item_id)]
        assert new.assumed_items == {clinic.item_id: clinic.exercise_ids[0]}
        assert new.values is not None
        assert new.values["duration_minutes"] == 50
        same_item = {"prescription_item_id": clinic.item_id}
        twice = clinic.new(
            exercises=[clinic.exercise(0, **same_item), clinic.exercise(1, **same_item)]
        )
        new = rules.new_record(SessionRecordCreate.model_validate(twice), clinic.tenant.clinic_id)
        assert new.assumed_items is None
        assert new.values is None
        wrong = SessionRecordCreate.model_validate(clinic.new(practitioner_id=None))
        new = rules.new_record(wrong, clinic.tenant.clinic_id)
        assert new.values is None
        with pytest.raises(ValidationProblemError) as raised:
            new.checked(rules.Found(birth_date=None, reference_errors=[]))
        assert [e["code"] for e in raised.value.extensions["errors"]] == ["missing"]
