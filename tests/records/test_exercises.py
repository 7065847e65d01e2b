"""/v1/exercises: the clinic's own exercise library."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.records.conftest import Headers
from tests.support.tenants import TenantClient

URL = "/v1/exercises"
NEW: dict[str, object] = {
    "code": "ROLL-01",
    "name": "Log roll with hold at the knees",
    "category": "rolling",
    "start_position": "Lying on the back",
    "surface": "floor",
    "default_support_point": "knees",
    "desired_response": "Head follows the turn.",
    "undesired_responses": ["Pushes back with the head"],
    "progression_level": 2,
    "media_url": "https://media.example.org/roll-01.mp4",
}


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: object
) -> httpx.Response:
    response = await client.post(URL, json={**NEW, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response


class TestCreate:
    async def test_no_token(self, client: httpx.AsyncClient) -> None:
        assert (await client.post(URL, json=NEW)).status_code == 401

    async def test_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "exercises:read", "prescriptions:write")
        assert (await client.post(URL, json=NEW, headers=headers)).status_code == 403

    @pytest.mark.parametrize(
        ("payload", "pointer"),
        [
            ({**NEW, "code": ""}, "#/code"),
            ({**NEW, "code": "x" * 51}, "#/code"),
            ({**NEW, "code": "has space"}, "#/code"),
            ({**NEW, "name": "x" * 201}, "#/name"),
            ({**NEW, "category": "flying"}, "#/category"),
            ({**NEW, "surface": "water"}, "#/surface"),
            ({**NEW, "default_support_point": "neck"}, "#/default_support_point"),
            ({**NEW, "undesired_responses": ["r"] * 21}, "#/undesired_responses"),
            ({**NEW, "undesired_responses": [""]}, "#/undesired_responses/0"),
            ({**NEW, "progression_level": 0}, "#/progression_level"),
            ({**NEW, "progression_level": 11}, "#/progression_level"),
            ({**NEW, "media_url": "http://media.example.org/a.mp4"}, "#/media_url"),
            ({**NEW, "media_url": "javascript:alert(1)"}, "#/media_url"),
            ({**NEW, "media_url": "https://" + "a" * 2000}, "#/media_url"),
            ({**NEW, "id": str(uuid.uuid4())}, "#/id"),
            ({**NEW, "version": 3}, "#/version"),
            ({**NEW, "deleted_at": None}, "#/deleted_at"),
            ({**NEW, "name": "a\u0000b"}, "#/name"),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        payload: dict[str, object],
        pointer: str,
    ) -> None:
        headers = await headers_for(tenant_a, "exercises:write")
        response = await client.post(URL, json=payload, headers=headers)
        assert response.status_code == 422
        assert pointer in [e["pointer"] for e in response.json()["errors"]]

    async def test_success(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "exercises:write")
        response = await create(client, headers)
        body = response.json()
        assert body["version"] == 1
        assert body["active"] is True
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{URL}/{body['id']}"
        assert {k: body[k] for k in NEW} == NEW

    async def test_duplicate_code_is_409_even_after_delete(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "exercises:write")
        row = (await create(client, headers)).json()
        assert (await client.post(URL, json=NEW, headers=headers)).status_code == 409
        await client.delete(f"{URL}/{row['id']}", headers={**headers, "If-Match": '"1"'})
        assert (await client.post(URL, json=NEW, headers=headers)).status_code == 409

    async def test_codes_are_per_clinic(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        await create(client, await headers_for(tenant_a, "exercises:write"))
        await create(client, await headers_for(tenant_b, "exercises:write"))


class TestIdempotency:
    async def test_replay_returns_the_first_response_without_a_second_row(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "exercises:write", "exercises:read")
        keyed = {**headers, "Idempotency-Key": "ex-1"}
        first = await client.post(URL, json=NEW, headers=keyed)
        second = await client.post(URL, json=NEW, headers=keyed)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert len((await client.get(URL, headers=headers)).json()["data"]) == 1
        other = await client.post(URL, json={**NEW, "name": "Other"}, headers=keyed)
        assert other.status_code == 422
        assert other.json()["errors"][0]["code"] == "idempotency_key_reused"


class TestReadChangeDelete:
    async def test_scopes(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        row = (await create(client, await headers_for(tenant_a, "exercises:write"))).json()
        path = f"{URL}/{row['id']}"
        assert (await client.get(path)).status_code == 401
        reader = await headers_for(tenant_a, "exercises:write")
        assert (await client.get(path, headers=reader)).status_code == 403
        writer = {**await headers_for(tenant_a, "exercises:read"), "If-Match": '"1"'}
        assert (await client.patch(path, json={"active": False}, headers=writer)).status_code == 403
        assert (await client.delete(path, headers=writer)).status_code == 403

    async def test_cross_clinic_is_404_like_missing(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        row = (await create(client, await headers_for(tenant_a, "exercises:write"))).json()
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
                json={"active": False},
                headers={**headers_b, "If-Match": '"1"'},
            )
            assert response.status_code == 404

    async def test_etag_if_none_match_and_if_match(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        path = f"{URL}/{row['id']}"
        got = await client.get(path, headers=headers)
        assert got.headers["etag"] == '"1"'
        cached = await client.get(path, headers={**headers, "If-None-Match": '"1"'})
        assert cached.status_code == 304
        assert (await client.patch(path, json={"name": "B"}, headers=headers)).status_code == 428
        updated = await client.patch(
            path, json={"progression_level": 5}, headers={**headers, "If-Match": '"1"'}
        )
        assert updated.status_code == 200
        assert updated.headers["etag"] == '"2"'
        assert updated.json()["progression_level"] == 5
        stale = await client.patch(path, json={"name": "C"}, headers={**headers, "If-Match": '"1"'})
        assert stale.status_code == 412
        assert (await client.get(path, headers=headers)).json()["name"] == NEW["name"]
        assert (
            await client.delete(path, headers={**headers, "If-Match": '"1"'})
        ).status_code == 412
        assert (await client.delete(path, headers=headers)).status_code == 428

    @pytest.mark.parametrize(
        ("patch", "pointer"),
        [
            ({"code": None}, "#/code"),
            ({"category": None}, "#/category"),
            ({"undesired_responses": None}, "#/undesired_responses"),
            ({"media_url": "ftp://x.org/a"}, "#/media_url"),
            ({"progression_level": -1}, "#/progression_level"),
            ({"clinic_id": str(uuid.uuid4())}, "#/clinic_id"),
        ],
    )
    async def test_bad_patch(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        patch: dict[str, object],
        pointer: str,
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        response = await client.patch(
            f"{URL}/{row['id']}", json=patch, headers={**headers, "If-Match": '"1"'}
        )
        assert response.status_code == 422
        assert pointer in [e["pointer"] for e in response.json()["errors"]]

    async def test_patch_clears_optional_fields_and_rejects_a_taken_code(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        await create(client, headers, code="OTHER")
        path = f"{URL}/{row['id']}"
        cleared = await client.patch(
            path,
            json={"media_url": None, "progression_level": None},
            headers={**headers, "If-Match": '"1"'},
        )
        assert cleared.status_code == 200
        assert cleared.json()["media_url"] is None
        taken = await client.patch(
            path, json={"code": "OTHER"}, headers={**headers, "If-Match": '"2"'}
        )
        assert taken.status_code == 409
        same = await client.patch(
            path, json={"code": NEW["code"]}, headers={**headers, "If-Match": '"2"'}
        )
        assert same.status_code == 200

    async def test_versions_keep_history(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        path = f"{URL}/{row['id']}"
        await client.patch(path, json={"name": "Second"}, headers={**headers, "If-Match": '"1"'})
        versions = (await client.get(f"{path}/versions", headers=headers)).json()["data"]
        assert [v["version"] for v in versions] == [1, 2]
        assert [v["resource"]["name"] for v in versions] == [NEW["name"], "Second"]


class TestListsAndSync:
    async def test_pages_stay_stable_with_inserts_in_between(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        for index in range(5):
            await create(client, headers, code=f"C-{index}")
        params: dict[str, str | int] = {"limit": 2, "sort": "created_at"}
        first = await client.get(URL, params=params, headers=headers)
        page = first.json()
        assert 'rel="next"' in first.headers["link"]
        await create(client, headers, code="C-late")
        seen = [row["id"] for row in page["data"]]
        while page["next_cursor"]:
            page = (
                await client.get(
                    URL, params={**params, "cursor": page["next_cursor"]}, headers=headers
                )
            ).json()
            seen += [row["id"] for row in page["data"]]
        assert len(seen) == len(set(seen)) == 6

    async def test_tampered_cursor_is_422(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        for index in range(2):
            await create(client, headers, code=f"C-{index}")
        cursor = (await client.get(URL, params={"limit": 1}, headers=headers)).json()["next_cursor"]
        flipped = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
        for params in ({"cursor": flipped}, {"cursor": cursor, "category": "sitting"}):
            response = await client.get(URL, params={"limit": 1, **params}, headers=headers)
            assert response.status_code == 422

    async def test_updated_since_includes_tombstones(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        since = datetime.now(UTC).isoformat()
        kept = (await create(client, headers, code="keep")).json()
        gone = (await create(client, headers, code="gone")).json()
        deleted = await client.delete(f"{URL}/{gone['id']}", headers={**headers, "If-Match": '"1"'})
        assert deleted.status_code == 204
        assert (await client.get(f"{URL}/{gone['id']}", headers=headers)).status_code == 404
        live = {r["id"] for r in (await client.get(URL, headers=headers)).json()["data"]}
        assert live == {kept["id"]}
        feed = (await client.get(URL, params={"updated_since": since}, headers=headers)).json()
        by_id = {r["id"]: r for r in feed["data"]}
        assert set(by_id) == {kept["id"], gone["id"]}
        assert by_id[gone["id"]]["deleted_at"] is not None

    async def test_filters_and_bad_params(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        await create(client, headers, code="A", category="sitting")
        await create(client, headers, code="B", category="walking", active=False)
        await create(client, headers, code="C", category="walking")

        async def codes(**params: str) -> list[str]:
            response = await client.get(URL, params=params, headers=headers)
            return sorted(r["code"] for r in response.json()["data"])

        assert await codes(category="walking") == ["B", "C"]
        assert await codes(active="false") == ["B"]
        assert await codes(code="C") == ["C"]
        assert await codes(category="walking", active="true") == ["C"]
        for params in ({"category": "flying"}, {"limit": 0}, {"sort": "code"}, {"code": "a b"}):
            assert (await client.get(URL, params=params, headers=headers)).status_code == 422

    async def test_lists_do_not_cross_clinics(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        await create(client, await headers_for(tenant_a))
        listed = await client.get(URL, headers=await headers_for(tenant_b))
        assert listed.json()["data"] == []
