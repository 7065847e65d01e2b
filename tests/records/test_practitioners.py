"""/v1/practitioners: the reference resource for every convention of the records API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.tenants import TenantClient, bearer, make_tenant, mint_token

URL = "/v1/practitioners"
NEW = {"name": "Ana Ruiz", "discipline": "PT", "credentials": "DPT", "external_id": "P-1"}


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
        headers = await headers_for(tenant_a, "practitioners:read")
        assert (await client.post(URL, json=NEW, headers=headers)).status_code == 403

    @pytest.mark.parametrize(
        ("payload", "pointer"),
        [
            ({**NEW, "name": ""}, "#/name"),
            ({**NEW, "name": "x" * 201}, "#/name"),
            ({**NEW, "discipline": "surgeon"}, "#/discipline"),
            ({**NEW, "id": str(uuid.uuid4())}, "#/id"),
            ({**NEW, "clinic_id": str(uuid.uuid4())}, "#/clinic_id"),
            ({**NEW, "version": 7}, "#/version"),
            ({**NEW, "created_at": "2020-01-01T00:00:00Z"}, "#/created_at"),
            ({**NEW, "external_id": "has spaces"}, "#/external_id"),
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
        headers = await headers_for(tenant_a, "practitioners:write")
        response = await client.post(URL, json=payload, headers=headers)
        assert response.status_code == 422
        assert pointer in [e["pointer"] for e in response.json()["errors"]]

    async def test_success(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "practitioners:write")
        response = await create(client, headers)
        body = response.json()
        assert body["version"] == 1
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{URL}/{body['id']}"
        assert {k: body[k] for k in NEW} == NEW

    async def test_duplicate_external_id_is_409(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "practitioners:write")
        await create(client, headers)
        assert (await client.post(URL, json=NEW, headers=headers)).status_code == 409


class TestIdempotency:
    async def test_replay_returns_the_first_response_without_a_second_row(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "practitioners:write", "practitioners:read")
        keyed = {**headers, "Idempotency-Key": "create-ana-1"}
        first = await client.post(URL, json=NEW, headers=keyed)
        second = await client.post(URL, json=NEW, headers=keyed)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        listed = (await client.get(URL, headers=headers)).json()["data"]
        assert len(listed) == 1

    async def test_same_key_other_body_is_422(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        keyed = {**await headers_for(tenant_a, "practitioners:write"), "Idempotency-Key": "k-2"}
        await client.post(URL, json=NEW, headers=keyed)
        other = await client.post(URL, json={**NEW, "name": "Bo"}, headers=keyed)
        assert other.status_code == 422
        assert other.json()["errors"][0]["code"] == "idempotency_key_reused"

    async def test_keys_are_scoped_per_client(
        self, app: FastAPI, client: httpx.AsyncClient, headers_for: Headers
    ) -> None:
        first, second = await make_tenant(app), await make_tenant(app)
        for tenant in (first, second):
            keyed = {**await headers_for(tenant, "practitioners:write"), "Idempotency-Key": "same"}
            assert (await client.post(URL, json=NEW, headers=keyed)).status_code == 201

    @pytest.mark.postgres_only
    async def test_concurrent_requests_with_one_key_make_one_row(
        self, live_app: FastAPI, live_client: httpx.AsyncClient
    ) -> None:
        tenant = await make_tenant(live_app)
        # Minted by the live app: its keys are committed, the rolled-back app's are not.
        headers = bearer(await mint_token(live_app, tenant))
        keyed = {**headers, "Idempotency-Key": f"race-{uuid.uuid4()}"}
        responses = await asyncio.gather(
            *(live_client.post(URL, json=NEW, headers=keyed) for _ in range(5))
        )
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}, statuses
        created = {r.json()["id"] for r in responses if r.status_code == 201}
        assert len(created) == 1
        listed = (await live_client.get(URL, headers=headers)).json()["data"]
        assert len(listed) == 1


class TestReadAndConditional:
    async def test_cross_clinic_is_404_like_missing(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        row = (await create(client, await headers_for(tenant_a, "practitioners:write"))).json()
        headers_b = await headers_for(tenant_b)
        other = await client.get(f"{URL}/{row['id']}", headers=headers_b)
        missing = await client.get(f"{URL}/{uuid.uuid4()}", headers=headers_b)
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

    async def test_etag_and_if_none_match(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        got = await client.get(f"{URL}/{row['id']}", headers=headers)
        assert got.headers["etag"] == '"1"'
        cached = await client.get(f"{URL}/{row['id']}", headers={**headers, "If-None-Match": '"1"'})
        assert cached.status_code == 304
        assert cached.content == b""

    async def test_if_match_required_and_checked(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        path = f"{URL}/{row['id']}"
        missing = await client.patch(path, json={"name": "B"}, headers=headers)
        assert missing.status_code == 428
        updated = await client.patch(
            path, json={"name": "B"}, headers={**headers, "If-Match": '"1"'}
        )
        assert updated.status_code == 200
        assert updated.headers["etag"] == '"2"'
        stale = await client.patch(path, json={"name": "C"}, headers={**headers, "If-Match": '"1"'})
        assert stale.status_code == 412
        assert (await client.get(path, headers=headers)).json()["name"] == "B"
        stale_delete = await client.delete(path, headers={**headers, "If-Match": '"1"'})
        assert stale_delete.status_code == 412
        assert (await client.delete(path, headers=headers)).status_code == 428

    async def test_patch_cannot_null_a_required_field(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        response = await client.patch(
            f"{URL}/{row['id']}", json={"name": None}, headers={**headers, "If-Match": '"1"'}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/name"

    async def test_versions_keep_history(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        path = f"{URL}/{row['id']}"
        await client.patch(path, json={"name": "Second"}, headers={**headers, "If-Match": '"1"'})
        versions = (await client.get(f"{path}/versions", headers=headers)).json()["data"]
        assert [v["version"] for v in versions] == [1, 2]
        assert [v["resource"]["name"] for v in versions] == ["Ana Ruiz", "Second"]


class TestListsAndSync:
    async def test_pages_stay_stable_with_inserts_in_between(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        for index in range(5):
            await create(client, headers, external_id=f"P-{index}", name=f"N{index}")
        first = await client.get(URL, params={"limit": 2, "sort": "created_at"}, headers=headers)
        page = first.json()
        assert 'rel="next"' in first.headers["link"]
        await create(client, headers, external_id="P-late", name="Late")
        seen = [row["id"] for row in page["data"]]
        cursor = page["next_cursor"]
        while cursor:
            page = (
                await client.get(
                    URL,
                    params={"limit": 2, "sort": "created_at", "cursor": cursor},
                    headers=headers,
                )
            ).json()
            seen += [row["id"] for row in page["data"]]
            cursor = page["next_cursor"]
        assert len(seen) == len(set(seen)) == 6

    async def test_tampered_or_foreign_cursor_is_422(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        for index in range(3):
            await create(client, headers, external_id=f"P-{index}")
        cursor = (await client.get(URL, params={"limit": 1}, headers=headers)).json()["next_cursor"]
        flipped = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
        for params in ({"cursor": flipped}, {"cursor": cursor, "active": "false"}):
            response = await client.get(URL, params={"limit": 1, **params}, headers=headers)
            assert response.status_code == 422

    async def test_updated_since_includes_tombstones(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        since = datetime.now(UTC).isoformat()
        kept = (await create(client, headers, external_id="keep")).json()
        gone = (await create(client, headers, external_id="gone")).json()
        deleted = await client.delete(f"{URL}/{gone['id']}", headers={**headers, "If-Match": '"1"'})
        assert deleted.status_code == 204
        assert (await client.get(f"{URL}/{gone['id']}", headers=headers)).status_code == 404
        live = {r["id"] for r in (await client.get(URL, headers=headers)).json()["data"]}
        assert live == {kept["id"]}
        feed = (await client.get(URL, params={"updated_since": since}, headers=headers)).json()
        by_id = {r["id"]: r for r in feed["data"]}
        assert set(by_id) == {kept["id"], gone["id"]}
        assert by_id[gone["id"]]["deleted_at"] is not None
        assert by_id[kept["id"]]["deleted_at"] is None

    async def test_filters_and_bad_params(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        await create(client, headers, external_id="a", discipline="OT")
        await create(client, headers, external_id="b", discipline="PT")
        ot = (await client.get(URL, params={"discipline": "OT"}, headers=headers)).json()["data"]
        assert [r["external_id"] for r in ot] == ["a"]
        for params in ({"limit": 201}, {"sort": "name"}, {"updated_since": "soon"}):
            assert (await client.get(URL, params=params, headers=headers)).status_code == 422
