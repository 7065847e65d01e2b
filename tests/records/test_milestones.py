"""/v1/milestones and /v1/children/{id}/milestones: observations of gross-motor milestones."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.models import Child
from tests.records.conftest import Headers
from tests.support.records import seed_child
from tests.support.tenants import TenantClient

URL = "/v1/milestones"
BIRTH = date(2024, 3, 1)
FUTURE = (date.today() + timedelta(days=2)).isoformat()


def new(child: Child, **fields: object) -> dict[str, Any]:
    return {
        "child_id": str(child.id),
        "milestone": "sitting_without_support",
        "achieved_on": "2024-11-20",
        "observed_on": "2024-11-25",
        "support_needed": "none",
        "note": "Sat 15 s, arms free.",
        **fields,
    }


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], child: Child, **fields: object
) -> dict[str, Any]:
    response = await client.post(URL, json=new(child, **fields), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def same(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Equal bodies; timestamps compared as instants (SQLite reads them back without a zone)."""

    def instant(text: str) -> datetime:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    stamps = ("created_at", "updated_at")
    return all(instant(first[k]) == instant(second[k]) for k in stamps) and {
        k: v for k, v in first.items() if k not in stamps
    } == {k: v for k, v in second.items() if k not in stamps}


def pointers(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["pointer"] for error in response.json()["errors"]]


@pytest.fixture
async def child(app: FastAPI, tenant_a: TenantClient) -> Child:
    return await seed_child(app, tenant_a, birth_date=BIRTH)


class TestCreate:
    async def test_no_token(self, client: httpx.AsyncClient, child: Child) -> None:
        assert (await client.post(URL, json=new(child))).status_code == 401

    async def test_wrong_scope(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a, "milestones:read", "children:write")
        assert (await client.post(URL, json=new(child), headers=headers)).status_code == 403

    async def test_another_clinics_child_is_422_like_a_missing_one(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers_b = await headers_for(tenant_b)
        foreign = await client.post(URL, json=new(child), headers=headers_b)
        missing = await client.post(
            URL, json={**new(child), "child_id": str(uuid.uuid4())}, headers=headers_b
        )
        assert pointers(foreign) == pointers(missing) == ["#/child_id"]
        assert foreign.json()["errors"] == missing.json()["errors"]
        assert (await client.get(URL, headers=headers_b)).json()["data"] == []

    async def test_a_deleted_child_is_422(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        path = f"/v1/children/{child.id}"
        assert (
            await client.delete(path, headers={**headers, "If-Match": '"1"'})
        ).status_code == 204
        assert pointers(await client.post(URL, json=new(child), headers=headers)) == ["#/child_id"]

    @pytest.mark.parametrize(
        ("fields", "pointer"),
        [
            ({"milestone": "flying"}, "#/milestone"),
            ({"milestone": None}, "#/milestone"),
            ({"support_needed": "some"}, "#/support_needed"),
            ({"achieved_on": FUTURE}, "#/achieved_on"),
            ({"observed_on": FUTURE, "achieved_on": None}, "#/observed_on"),
            ({"achieved_on": "2024-02-29"}, "#/achieved_on"),
            ({"achieved_on": None, "observed_on": "2024-02-29"}, "#/observed_on"),
            ({"achieved_on": "2024-12-01", "observed_on": "2024-11-30"}, "#/observed_on"),
            ({"note": "x" * 10_001}, "#/note"),
            ({"note": "a\u0000b"}, "#/note"),
            ({"child_id": "not-a-uuid"}, "#/child_id"),
            ({"id": str(uuid.uuid4())}, "#/id"),
            ({"version": 2}, "#/version"),
            ({"achieved_age_months": 8}, "#/achieved_age_months"),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
        fields: dict[str, object],
        pointer: str,
    ) -> None:
        headers = await headers_for(tenant_a)
        response = await client.post(URL, json=new(child, **fields), headers=headers)
        assert pointer in pointers(response)
        assert (await client.get(URL, headers=headers)).json()["data"] == []

    async def test_success(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a, "milestones:write")
        response = await client.post(URL, json=new(child), headers=headers)
        assert response.status_code == 201
        body = response.json()
        assert body["version"] == 1
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{URL}/{body['id']}"
        assert {k: body[k] for k in new(child)} == new(child)

    async def test_not_yet_and_birth_day_are_accepted(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        today = datetime.now(UTC).date().isoformat()
        not_yet = await create(
            client, headers, child, milestone="walking_alone", achieved_on=None, observed_on=today
        )
        assert not_yet["achieved_on"] is None
        minimal = {"child_id": str(child.id), "milestone": "head_control"}
        body = (await client.post(URL, json=minimal, headers=headers)).json()
        assert body["observed_on"] is None
        assert body["support_needed"] is None
        on_birth = await create(client, headers, child, achieved_on=BIRTH.isoformat())
        assert on_birth["achieved_on"] == BIRTH.isoformat()

    async def test_create_is_audited_with_the_child(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        row = await create(client, headers, child)
        events = (
            await client.get(
                "/v1/audit-events",
                params={"resource_type": "milestone", "action": "create"},
                headers=headers,
            )
        ).json()["data"]
        assert [(e["resource_id"], e["child_id"]) for e in events] == [(row["id"], str(child.id))]


class TestIdempotency:
    async def test_replay_returns_the_first_response_without_a_second_row(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        keyed = {**headers, "Idempotency-Key": "ms-1"}
        first = await client.post(URL, json=new(child), headers=keyed)
        second = await client.post(URL, json=new(child), headers=keyed)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert len((await client.get(URL, headers=headers)).json()["data"]) == 1
        other = await client.post(URL, json=new(child, note="other"), headers=keyed)
        assert other.status_code == 422
        assert other.json()["errors"][0]["code"] == "idempotency_key_reused"


class TestReadAndConditional:
    async def test_no_token_and_wrong_scope(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        row = await create(client, await headers_for(tenant_a), child)
        path = f"{URL}/{row['id']}"
        assert (await client.get(path)).status_code == 401
        writer = await headers_for(tenant_a, "milestones:write", "children:read")
        assert (await client.get(path, headers=writer)).status_code == 403
        reader = {**await headers_for(tenant_a, "milestones:read"), "If-Match": '"1"'}
        assert (await client.patch(path, json={}, headers=reader)).status_code == 403
        assert (await client.delete(path, headers=reader)).status_code == 403

    async def test_cross_clinic_is_404_like_missing(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers_a = await headers_for(tenant_a)
        row = await create(client, headers_a, child)
        headers_b = await headers_for(tenant_b)
        for suffix in ("", "/versions"):
            other = await client.get(f"{URL}/{row['id']}{suffix}", headers=headers_b)
            missing = await client.get(f"{URL}/{uuid.uuid4()}{suffix}", headers=headers_b)
            assert other.status_code == missing.status_code == 404
            assert other.json()["detail"] == missing.json()["detail"]
        for method in ("PATCH", "DELETE"):
            response = await client.request(
                method,
                f"{URL}/{row['id']}",
                json={"note": "x"},
                headers={**headers_b, "If-Match": '"1"'},
            )
            assert response.status_code == 404
        assert same((await client.get(f"{URL}/{row['id']}", headers=headers_a)).json(), row)

    async def test_etag_and_if_none_match(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        row = await create(client, headers, child)
        got = await client.get(f"{URL}/{row['id']}", headers=headers)
        assert got.headers["etag"] == '"1"'
        assert same(got.json(), row)
        cached = await client.get(f"{URL}/{row['id']}", headers={**headers, "If-None-Match": '"1"'})
        assert cached.status_code == 304
        assert cached.content == b""

    async def test_if_match_required_and_checked(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        row = await create(client, headers, child)
        path = f"{URL}/{row['id']}"
        change = {"support_needed": "minimal"}
        assert (await client.patch(path, json=change, headers=headers)).status_code == 428
        updated = await client.patch(path, json=change, headers={**headers, "If-Match": '"1"'})
        assert updated.status_code == 200
        assert updated.headers["etag"] == '"2"'
        assert updated.json()["support_needed"] == "minimal"
        stale = await client.patch(
            path, json={"support_needed": "maximal"}, headers={**headers, "If-Match": '"1"'}
        )
        assert stale.status_code == 412
        assert (await client.get(path, headers=headers)).json()["support_needed"] == "minimal"
        assert (
            await client.delete(path, headers={**headers, "If-Match": '"1"'})
        ).status_code == 412
        assert (await client.delete(path, headers=headers)).status_code == 428
        assert (
            await client.delete(path, headers={**headers, "If-Match": '"2"'})
        ).status_code == 204
        assert (await client.get(path, headers=headers)).status_code == 404

    @pytest.mark.parametrize(
        ("change", "pointer"),
        [
            ({"milestone": None}, "#/milestone"),
            ({"achieved_on": "2024-01-01"}, "#/achieved_on"),
            ({"achieved_on": FUTURE}, "#/achieved_on"),
            ({"observed_on": "2024-11-01"}, "#/observed_on"),
            ({"child_id": str(uuid.uuid4())}, "#/child_id"),
            ({"created_at": "2025-01-01T00:00:00Z"}, "#/created_at"),
        ],
    )
    async def test_patch_validation(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
        change: dict[str, object],
        pointer: str,
    ) -> None:
        headers = await headers_for(tenant_a)
        row = await create(client, headers, child)
        path = f"{URL}/{row['id']}"
        response = await client.patch(path, json=change, headers={**headers, "If-Match": '"1"'})
        assert pointer in pointers(response)
        assert same((await client.get(path, headers=headers)).json(), row)

    async def test_patch_can_record_not_yet(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        row = await create(client, headers, child)
        response = await client.patch(
            f"{URL}/{row['id']}",
            json={"achieved_on": None, "note": None},
            headers={**headers, "If-Match": '"1"'},
        )
        assert response.status_code == 200
        assert response.json()["achieved_on"] is None
        assert response.json()["note"] is None

    async def test_versions_keep_history(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        row = await create(client, headers, child)
        path = f"{URL}/{row['id']}"
        await client.patch(
            path, json={"support_needed": "moderate"}, headers={**headers, "If-Match": '"1"'}
        )
        versions = (await client.get(f"{path}/versions", headers=headers)).json()["data"]
        assert [v["version"] for v in versions] == [1, 2]
        assert [v["resource"]["support_needed"] for v in versions] == ["none", "moderate"]
        assert versions[0]["resource"]["child_id"] == str(child.id)


class TestListsAndSync:
    async def test_no_token_and_wrong_scope(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        nested = f"/v1/children/{child.id}/milestones"
        for path in (URL, nested):
            assert (await client.get(path)).status_code == 401
            headers = await headers_for(tenant_a, "children:read", "milestones:write")
            assert (await client.get(path, headers=headers)).status_code == 403

    async def test_filters_and_the_nested_list(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        sibling = await seed_child(app, tenant_a, birth_date=BIRTH)
        sitting = await create(client, headers, child)
        rolling = await create(client, headers, child, milestone="rolling")
        theirs = await create(client, headers, sibling)

        async def ids(path: str, **params: str) -> set[str]:
            response = await client.get(path, params=params, headers=headers)
            assert response.status_code == 200, response.text
            return {row["id"] for row in response.json()["data"]}

        nested = f"/v1/children/{child.id}/milestones"
        assert await ids(URL) == {sitting["id"], rolling["id"], theirs["id"]}
        assert await ids(URL, child_id=str(child.id)) == {sitting["id"], rolling["id"]}
        assert await ids(URL, milestone="rolling") == {rolling["id"]}
        assert await ids(nested) == {sitting["id"], rolling["id"]}
        assert await ids(nested, milestone="sitting_without_support") == {sitting["id"]}
        # Another clinic sees none of it: the nested list is 404 as for a missing child.
        headers_b = await headers_for(tenant_b)
        assert (await client.get(URL, headers=headers_b)).json()["data"] == []
        other = await client.get(nested, headers=headers_b)
        missing = await client.get(f"/v1/children/{uuid.uuid4()}/milestones", headers=headers_b)
        assert other.status_code == missing.status_code == 404
        assert other.json()["detail"] == missing.json()["detail"]
        bad = await client.get(URL, params={"milestone": "flying"}, headers=headers)
        assert pointers(bad) == ["#/milestone"]

    async def test_pages_stay_stable_with_inserts_in_between(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        for _ in range(5):
            await create(client, headers, child)
        path = f"/v1/children/{child.id}/milestones"
        first = await client.get(path, params={"limit": 2, "sort": "created_at"}, headers=headers)
        page = first.json()
        assert 'rel="next"' in first.headers["link"]
        await create(client, headers, child)
        seen = [row["id"] for row in page["data"]]
        cursor = page["next_cursor"]
        while cursor:
            page = (
                await client.get(
                    path,
                    params={"limit": 2, "sort": "created_at", "cursor": cursor},
                    headers=headers,
                )
            ).json()
            seen += [row["id"] for row in page["data"]]
            cursor = page["next_cursor"]
        assert len(seen) == len(set(seen)) == 6

    async def test_tampered_or_foreign_cursor_is_422(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        for _ in range(3):
            await create(client, headers, child)
        cursor = (await client.get(URL, params={"limit": 1}, headers=headers)).json()["next_cursor"]
        flipped = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
        for params in ({"cursor": flipped}, {"cursor": cursor, "milestone": "rolling"}):
            response = await client.get(URL, params={"limit": 1, **params}, headers=headers)
            assert pointers(response) == ["#/cursor"]

    async def test_updated_since_includes_tombstones(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child: Child,
    ) -> None:
        headers = await headers_for(tenant_a)
        since = datetime.now(UTC).isoformat()
        kept = await create(client, headers, child)
        gone = await create(client, headers, child)
        deleted = await client.delete(f"{URL}/{gone['id']}", headers={**headers, "If-Match": '"1"'})
        assert deleted.status_code == 204
        live = {r["id"] for r in (await client.get(URL, headers=headers)).json()["data"]}
        assert live == {kept["id"]}
        for path in (URL, f"/v1/children/{child.id}/milestones"):
            feed = (await client.get(path, params={"updated_since": since}, headers=headers)).json()
            by_id = {r["id"]: r for r in feed["data"]}
            assert set(by_id) == {kept["id"], gone["id"]}
            assert by_id[gone["id"]]["deleted_at"] is not None
            assert by_id[kept["id"]]["deleted_at"] is None
