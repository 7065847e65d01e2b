"""/v1/prescriptions: children's exercise programs, their dosed items and status lifecycle."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.records.conftest import Headers
from tests.support.records import seed_child, seed_exercise, seed_practitioner
from tests.support.tenants import TenantClient

URL = "/v1/prescriptions"


@dataclass(frozen=True)
class Clinic:
    """One clinic's seeded rows and a header holding every scope."""

    tenant: TenantClient
    headers: dict[str, str]
    child_id: str
    prescriber_id: str
    exercise_ids: list[str]

    def item(self, index: int = 0, **fields: Any) -> dict[str, Any]:
        return {"exercise_id": self.exercise_ids[index], "repetitions": 5, **fields}

    def new(self, **fields: Any) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "prescriber_id": self.prescriber_id,
            "setting": "home",
            "period_start": "2025-03-01",
            "period_end": "2025-04-30",
            "goal": "Sit without support.",
            "items": [self.item(0, sets=2, hold_seconds=10), self.item(1, side="left")],
            **fields,
        }


async def _clinic(app: FastAPI, tenant: TenantClient, headers_for: Headers) -> Clinic:
    child = await seed_child(app, tenant)
    prescriber = await seed_practitioner(app, tenant)
    exercises = [await seed_exercise(app, tenant) for _ in range(3)]
    return Clinic(
        tenant=tenant,
        headers=await headers_for(tenant),
        child_id=str(child.id),
        prescriber_id=str(prescriber.id),
        exercise_ids=[str(e.id) for e in exercises],
    )


@pytest.fixture
async def clinic(app: FastAPI, tenant_a: TenantClient, headers_for: Headers) -> Clinic:
    return await _clinic(app, tenant_a, headers_for)


@pytest.fixture
async def other(app: FastAPI, tenant_b: TenantClient, headers_for: Headers) -> Clinic:
    return await _clinic(app, tenant_b, headers_for)


async def create(client: httpx.AsyncClient, clinic: Clinic, **fields: Any) -> dict[str, Any]:
    response = await client.post(URL, json=clinic.new(**fields), headers=clinic.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def patch(
    client: httpx.AsyncClient, clinic: Clinic, row: dict[str, Any], body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(
        f"{URL}/{row['id']}",
        json=body,
        headers={**clinic.headers, "If-Match": f'"{row["version"]}"'},
    )


def unchanged(now: dict[str, Any], before: dict[str, Any]) -> bool:
    """The same version and content (SQLite reads timestamps back without their zone)."""
    times = ("created_at", "updated_at")
    return {k: v for k, v in now.items() if k not in times} == {
        k: v for k, v in before.items() if k not in times
    }


def pointers(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["pointer"] for e in response.json()["errors"]]


class TestCreate:
    async def test_no_token(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        assert (await client.post(URL, json=clinic.new())).status_code == 401

    async def test_wrong_scope(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "prescriptions:read", "exercises:write")
        assert (await client.post(URL, json=clinic.new(), headers=headers)).status_code == 403

    @pytest.mark.parametrize(
        ("fields", "item", "pointer"),
        [
            ({"setting": "school"}, {}, "#/setting"),
            ({"status": "paused"}, {}, "#/status"),
            ({"period_start": "2025-13-01"}, {}, "#/period_start"),
            ({"period_end": "2025-02-28"}, {}, "#/period_end"),
            ({"period_start": "2020-01-01"}, {}, "#/period_start"),  # before the child's birth
            ({"goal": "x" * 2001}, {}, "#/goal"),
            ({"goal": "a\u0000b"}, {}, "#/goal"),
            ({"items": []}, {}, "#/items"),
            ({"id": str(uuid.uuid4())}, {}, "#/id"),
            ({"pauses": []}, {}, "#/pauses"),
            ({"version": 2}, {}, "#/version"),
            ({}, {"repetitions": 0}, "#/items/1/repetitions"),
            ({}, {"repetitions": 101}, "#/items/1/repetitions"),
            ({}, {"sets": 21}, "#/items/1/sets"),
            ({}, {"hold_seconds": -1}, "#/items/1/hold_seconds"),
            ({}, {"hold_seconds": 601}, "#/items/1/hold_seconds"),
            ({}, {"times_per_day": 11}, "#/items/1/times_per_day"),
            ({}, {"days_per_week": 8}, "#/items/1/days_per_week"),
            ({}, {"days_per_week": 0}, "#/items/1/days_per_week"),
            ({}, {"support_point": "neck"}, "#/items/1/support_point"),
            ({}, {"side": "both"}, "#/items/1/side"),
            ({}, {"instructions": "x" * 2001}, "#/items/1/instructions"),
            ({}, {"instructions": "a\u0000b"}, "#/items/1/instructions"),
            ({}, {"id": str(uuid.uuid4())}, "#/items/1/id"),
            ({}, {"colour": "red"}, "#/items/1/colour"),
            ({}, {"exercise_id": str(uuid.uuid4())}, "#/items/1/exercise_id"),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        fields: dict[str, Any],
        item: dict[str, Any],
        pointer: str,
    ) -> None:
        body = clinic.new(**fields)
        if item:
            body["items"] = [clinic.item(0), {**clinic.item(1), **item}]
        response = await client.post(URL, json=body, headers=clinic.headers)
        assert pointer in pointers(response)

    async def test_too_many_items(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        body = clinic.new(items=[clinic.item(0)] * 51)
        assert "#/items" in pointers(await client.post(URL, json=body, headers=clinic.headers))

    async def test_another_clinics_references_look_like_missing_ones(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        foreign = clinic.new(
            child_id=other.child_id,
            prescriber_id=other.prescriber_id,
            items=[clinic.item(0), {**clinic.item(0), "exercise_id": other.exercise_ids[0]}],
        )
        missing = clinic.new(
            child_id=str(uuid.uuid4()),
            prescriber_id=str(uuid.uuid4()),
            items=[clinic.item(0), {**clinic.item(0), "exercise_id": str(uuid.uuid4())}],
        )
        first = await client.post(URL, json=foreign, headers=clinic.headers)
        second = await client.post(URL, json=missing, headers=clinic.headers)
        assert pointers(first) == pointers(second)
        assert set(pointers(first)) == {"#/child_id", "#/prescriber_id", "#/items/1/exercise_id"}
        assert first.json()["errors"] == second.json()["errors"]

    async def test_deleted_exercise_is_refused(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        exercise = f"/v1/exercises/{clinic.exercise_ids[1]}"
        deleted = await client.delete(exercise, headers={**clinic.headers, "If-Match": '"1"'})
        assert deleted.status_code == 204
        response = await client.post(URL, json=clinic.new(), headers=clinic.headers)
        assert pointers(response) == ["#/items/1/exercise_id"]

    async def test_success(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        response = await client.post(URL, json=clinic.new(), headers=clinic.headers)
        assert response.status_code == 201
        body = response.json()
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{URL}/{body['id']}"
        assert body["status"] == "draft"
        assert body["pauses"] == []
        assert body["child_id"] == clinic.child_id
        assert [i["exercise_id"] for i in body["items"]] == clinic.exercise_ids[:2]
        first, second = body["items"]
        assert (first["sets"], first["hold_seconds"], first["side"]) == (2, 10, "n/a")
        assert (second["sets"], second["side"], second["support_point"]) == (1, "left", None)
        assert len({first["id"], second["id"]}) == 2


class TestAtomicityAndIdempotency:
    async def test_ten_items_with_one_bad_store_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        items = [clinic.item(index % 3, repetitions=index + 1) for index in range(10)]
        items[7] = {**items[7], "exercise_id": str(uuid.uuid4())}
        response = await client.post(URL, json=clinic.new(items=items), headers=clinic.headers)
        assert pointers(response) == ["#/items/7/exercise_id"]
        assert (await client.get(URL, headers=clinic.headers)).json()["data"] == []
        items[7] = clinic.item(0)
        stored = await create(client, clinic, items=items)
        assert len(stored["items"]) == 10

    async def test_replay_and_reuse(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        keyed = {**clinic.headers, "Idempotency-Key": "rx-1"}
        first = await client.post(URL, json=clinic.new(), headers=keyed)
        second = await client.post(URL, json=clinic.new(), headers=keyed)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert len((await client.get(URL, headers=clinic.headers)).json()["data"]) == 1
        other = await client.post(URL, json=clinic.new(goal="Other"), headers=keyed)
        assert other.status_code == 422
        assert other.json()["errors"][0]["code"] == "idempotency_key_reused"


class TestReadAndConditional:
    async def test_scopes(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        row = await create(client, clinic)
        path = f"{URL}/{row['id']}"
        writer = await headers_for(clinic.tenant, "prescriptions:write")
        reader = {**await headers_for(clinic.tenant, "prescriptions:read"), "If-Match": '"1"'}
        for method, url, headers in (
            ("GET", path, writer),
            ("GET", f"{path}/versions", writer),
            ("GET", URL, writer),
            ("GET", f"/v1/children/{clinic.child_id}/prescriptions", writer),
            ("PATCH", path, reader),
            ("DELETE", path, reader),
        ):
            body = {"goal": "x"} if method == "PATCH" else None
            assert (await client.request(method, url, json=body)).status_code == 401
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == 403, (method, url)

    async def test_cross_clinic_is_404_like_missing(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        row = await create(client, clinic)
        for suffix in ("", "/versions"):
            foreign = await client.get(f"{URL}/{row['id']}{suffix}", headers=other.headers)
            missing = await client.get(f"{URL}/{uuid.uuid4()}{suffix}", headers=other.headers)
            assert foreign.status_code == missing.status_code == 404
            assert foreign.json()["detail"] == missing.json()["detail"]
        for method in ("PATCH", "DELETE"):
            response = await client.request(
                method,
                f"{URL}/{row['id']}",
                json={"goal": "x"},
                headers={**other.headers, "If-Match": '"1"'},
            )
            assert response.status_code == 404
        nested = f"/v1/children/{clinic.child_id}/prescriptions"
        assert (await client.get(nested, headers=other.headers)).status_code == 404
        assert (await client.get(URL, headers=other.headers)).json()["data"] == []

    async def test_etag_304_428_412(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        row = await create(client, clinic)
        path = f"{URL}/{row['id']}"
        got = await client.get(path, headers=clinic.headers)
        assert got.headers["etag"] == '"1"'
        assert unchanged(got.json(), row)
        cached = await client.get(path, headers={**clinic.headers, "If-None-Match": '"1"'})
        assert cached.status_code == 304
        no_match = await client.patch(path, json={"goal": "B"}, headers=clinic.headers)
        assert no_match.status_code == 428
        updated = await patch(client, clinic, row, {"goal": "B"})
        assert updated.status_code == 200
        assert updated.headers["etag"] == '"2"'
        stale = await patch(client, clinic, row, {"goal": "C", "items": [clinic.item(2)]})
        assert stale.status_code == 412
        current = (await client.get(path, headers=clinic.headers)).json()
        assert current["goal"] == "B"
        assert current["items"] == row["items"]
        stale_delete = await client.delete(path, headers={**clinic.headers, "If-Match": '"1"'})
        assert stale_delete.status_code == 412
        assert (await client.delete(path, headers=clinic.headers)).status_code == 428


class TestPatch:
    @pytest.mark.parametrize(
        ("body", "pointer"),
        [
            ({"period_end": "2025-01-01"}, "#/period_end"),
            ({"period_start": "2025-06-01"}, "#/period_start"),
            # Before the child's birth, as a create refuses it: the days before birth would
            # be prescribed (and never delivered), lowering every adherence over them.
            ({"period_start": "2020-01-01"}, "#/period_start"),
            ({"setting": None}, "#/setting"),
            ({"items": None}, "#/items"),
            ({"status": None}, "#/status"),
            ({"items": []}, "#/items"),
            ({"child_id": str(uuid.uuid4())}, "#/child_id"),
            ({"prescriber_id": str(uuid.uuid4())}, "#/prescriber_id"),
            ({"status": "completed"}, "#/status"),  # draft → completed is not a transition
            ({"status_date": "2025-03-05"}, "#/status_date"),
            ({"goal": "\u0000"}, "#/goal"),
            ({"items": [{"exercise_id": str(uuid.uuid4()), "repetitions": 1}]}, None),
            ({"version": 5}, "#/version"),
        ],
    )
    async def test_bad_patch(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        body: dict[str, Any],
        pointer: str | None,
    ) -> None:
        row = await create(client, clinic)
        response = await patch(client, clinic, row, body)
        assert (pointer or "#/items/0/exercise_id") in pointers(response)
        after = (await client.get(f"{URL}/{row['id']}", headers=clinic.headers)).json()
        assert unchanged(after, row)

    async def test_item_ids_stay_stable_and_removed_items_leave(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic)
        first, second = row["items"]
        body = {
            "items": [
                clinic.item(2, repetitions=8),
                {**clinic.item(1), "id": second["id"], "repetitions": 9},
            ]
        }
        response = await patch(client, clinic, row, body)
        assert response.status_code == 200, response.text
        new, kept = response.json()["items"]
        assert kept["id"] == second["id"]
        assert kept["repetitions"] == 9
        assert new["id"] not in (first["id"], second["id"])
        assert new["exercise_id"] == clinic.exercise_ids[2]
        # A removed item cannot come back by id: it is no longer one of this program's items.
        again = await patch(
            client, clinic, response.json(), {"items": [{**clinic.item(0), "id": first["id"]}]}
        )
        assert pointers(again) == ["#/items/0/id"]

    async def test_unknown_or_repeated_item_ids_change_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        row = await create(client, clinic)
        theirs = await create(client, other)
        kept = row["items"][0]["id"]
        body = {
            "items": [
                {**clinic.item(0), "id": kept},
                {**clinic.item(0), "id": kept},
                {**clinic.item(0), "id": theirs["items"][0]["id"]},
                {**clinic.item(0), "exercise_id": other.exercise_ids[0]},
            ]
        }
        response = await patch(client, clinic, row, body)
        assert pointers(response) == ["#/items/1/id", "#/items/2/id", "#/items/3/exercise_id"]
        after = (await client.get(f"{URL}/{row['id']}", headers=clinic.headers)).json()
        assert unchanged(after, row)

    async def test_kept_item_may_name_an_exercise_deleted_since(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic)
        exercise = f"/v1/exercises/{clinic.exercise_ids[0]}"
        await client.delete(exercise, headers={**clinic.headers, "If-Match": '"1"'})
        first = row["items"][0]
        body = {"items": [{**clinic.item(0), "id": first["id"], "repetitions": 3}]}
        response = await patch(client, clinic, row, body)
        assert response.status_code == 200, response.text
        changed = await patch(
            client, clinic, response.json(), {"items": [{**clinic.item(0), "repetitions": 3}]}
        )
        assert pointers(changed) == ["#/items/0/exercise_id"]


class TestStatus:
    async def test_lifecycle_records_pauses(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic)

        async def move(body: dict[str, Any]) -> dict[str, Any]:
            nonlocal row
            response = await patch(client, clinic, row, body)
            assert response.status_code == 200, response.text
            row = response.json()
            return dict(row)

        assert (await move({"status": "active"}))["ended_on"] is None
        paused = await move({"status": "paused", "status_date": "2025-03-10"})
        assert paused["pauses"] == [{"start": "2025-03-10", "end": None}]
        resumed = await move({"status": "active", "status_date": "2025-03-14"})
        assert resumed["pauses"] == [{"start": "2025-03-10", "end": "2025-03-14"}]
        today = datetime.now(UTC).date().isoformat()
        again = await move({"status": "paused"})
        assert again["pauses"][-1] == {"start": today, "end": None}
        done = await move({"status": "completed"})
        assert done["pauses"][-1] == {"start": today, "end": today}
        assert done["status"] == "completed"
        assert done["ended_on"] == today
        for status in ("active", "paused", "draft", "discontinued"):
            response = await patch(client, clinic, row, {"status": status})
            assert pointers(response) == ["#/status"]
            assert response.json()["errors"][0]["code"] == "invalid_transition"
        history = await client.get(f"{URL}/{row['id']}/versions", headers=clinic.headers)
        versions = history.json()["data"]
        assert [v["resource"]["status"] for v in versions] == [
            "draft",
            "active",
            "paused",
            "active",
            "paused",
            "completed",
        ]

    @pytest.mark.parametrize(
        ("start", "to", "allowed"),
        [
            ("draft", "paused", False),
            ("draft", "discontinued", True),
            ("active", "draft", False),
            ("active", "completed", True),
            ("active", "discontinued", True),
            ("paused", "discontinued", True),
            ("paused", "draft", False),
        ],
    )
    async def test_transitions(
        self, client: httpx.AsyncClient, clinic: Clinic, start: str, to: str, allowed: bool
    ) -> None:
        row = await create(client, clinic, status="draft" if start == "draft" else "active")
        if start == "paused":
            row = (await patch(client, clinic, row, {"status": "paused"})).json()
        response = await patch(client, clinic, row, {"status": to})
        assert (response.status_code == 200) is allowed, response.text
        if not allowed:
            assert pointers(response) == ["#/status"]

    async def test_pause_dates_must_be_in_order(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic, status="active")
        early = await patch(client, clinic, row, {"status": "paused", "status_date": "2025-02-01"})
        assert pointers(early) == ["#/status_date"]
        row = (
            await patch(client, clinic, row, {"status": "paused", "status_date": "2025-03-10"})
        ).json()
        back = await patch(client, clinic, row, {"status": "active", "status_date": "2025-03-09"})
        assert pointers(back) == ["#/status_date"]


class TestListsAndSync:
    async def test_pages_stay_stable_with_inserts_in_between(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        for index in range(5):
            await create(client, clinic, goal=f"G{index}")
        params: dict[str, Any] = {"limit": 2, "sort": "-created_at"}
        first = await client.get(URL, params=params, headers=clinic.headers)
        page = first.json()
        assert 'rel="next"' in first.headers["link"]
        await create(client, clinic, goal="late")
        seen = [row["id"] for row in page["data"]]
        while page["next_cursor"]:
            page = (
                await client.get(
                    URL, params={**params, "cursor": page["next_cursor"]}, headers=clinic.headers
                )
            ).json()
            assert all(len(row["items"]) == 2 for row in page["data"])
            seen += [row["id"] for row in page["data"]]
        assert len(seen) == len(set(seen)) == 5

    async def test_tampered_cursor_is_422(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        for _ in range(2):
            await create(client, clinic)
        cursor = (await client.get(URL, params={"limit": 1}, headers=clinic.headers)).json()[
            "next_cursor"
        ]
        flipped = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
        for params in ({"cursor": flipped}, {"cursor": cursor, "status": "active"}):
            response = await client.get(URL, params={"limit": 1, **params}, headers=clinic.headers)
            assert response.status_code == 422

    async def test_updated_since_includes_tombstones(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        since = datetime.now(UTC).isoformat()
        kept = await create(client, clinic)
        gone = await create(client, clinic)
        path = f"{URL}/{gone['id']}"
        deleted = await client.delete(path, headers={**clinic.headers, "If-Match": '"1"'})
        assert deleted.status_code == 204
        assert (await client.get(path, headers=clinic.headers)).status_code == 404
        live = (await client.get(URL, headers=clinic.headers)).json()["data"]
        assert [r["id"] for r in live] == [kept["id"]]
        feed = (
            await client.get(URL, params={"updated_since": since}, headers=clinic.headers)
        ).json()
        by_id = {r["id"]: r for r in feed["data"]}
        assert set(by_id) == {kept["id"], gone["id"]}
        assert by_id[gone["id"]]["deleted_at"] is not None
        assert by_id[kept["id"]]["deleted_at"] is None

    async def test_filters_and_nested_list(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        sibling = str((await seed_child(app, clinic.tenant, given_name="Leo")).id)
        home = await create(client, clinic)
        clinic_rx = await create(client, clinic, setting="clinic", status="active")
        theirs = await create(client, clinic, child_id=sibling)

        async def ids(url: str, **params: str) -> set[str]:
            response = await client.get(url, params=params, headers=clinic.headers)
            assert response.status_code == 200, response.text
            return {r["id"] for r in response.json()["data"]}

        assert await ids(URL, setting="clinic") == {clinic_rx["id"]}
        assert await ids(URL, status="draft") == {home["id"], theirs["id"]}
        assert await ids(URL, child_id=sibling) == {theirs["id"]}
        nested = f"/v1/children/{clinic.child_id}/prescriptions"
        assert await ids(nested) == {home["id"], clinic_rx["id"]}
        assert await ids(nested, status="active") == {clinic_rx["id"]}
        missing = await client.get(
            f"/v1/children/{uuid.uuid4()}/prescriptions", headers=clinic.headers
        )
        assert missing.status_code == 404
        for params in ({"status": "stopped"}, {"setting": "school"}, {"child_id": "nope"}):
            response = await client.get(URL, params=params, headers=clinic.headers)
            assert response.status_code == 422

    async def test_items_load_in_one_query_per_page(
        self, client: httpx.AsyncClient, clinic: Clinic, db_connection: AsyncConnection
    ) -> None:
        for _ in range(4):
            await create(client, clinic)
        with _item_selects(db_connection) as seen:
            response = await client.get(URL, headers=clinic.headers)
        assert len(response.json()["data"]) == 4
        assert len(seen) == 1


class TestVersions:
    async def test_history_of_items(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        row = await create(client, clinic)
        await patch(client, clinic, row, {"items": [clinic.item(2, repetitions=7)]})
        history = await client.get(f"{URL}/{row['id']}/versions", headers=clinic.headers)
        versions = history.json()["data"]
        assert [v["version"] for v in versions] == [1, 2]
        assert [len(v["resource"]["items"]) for v in versions] == [2, 1]
        assert versions[1]["resource"]["items"][0]["repetitions"] == 7
        assert versions[0]["resource"]["period_start"] == date(2025, 3, 1).isoformat()


@contextmanager
def _item_selects(connection: AsyncConnection) -> Iterator[list[str]]:
    """The SELECTs on prescription_item run on this connection while the block runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("SELECT") and "prescription_item" in statement:
            seen.append(statement)

    sync = connection.sync_connection
    assert sync is not None
    event.listen(sync, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(sync, "before_cursor_execute", record)
