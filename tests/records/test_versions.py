"""`GET …/{id}/versions`: a version history is a list like every other (`{data, next_cursor}`)."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.records.test_children import NEW
from tests.support.tenants import TenantClient

URL = "/v1/children"


async def _child_with_versions(
    client: httpx.AsyncClient, headers: dict[str, str], count: int
) -> str:
    body = {**NEW, "external_id": f"MRN-{uuid.uuid4().hex[:8]}"}
    created = await client.post(URL, json=body, headers=headers)
    assert created.status_code == 201, created.text
    child_id: str = created.json()["id"]
    for version in range(1, count):
        changed = await client.patch(
            f"{URL}/{child_id}",
            json={"preferred_name": f"Name {version}"},
            headers={**headers, "If-Match": f'"{version}"'},
        )
        assert changed.status_code == 200, changed.text
    return child_id


class TestVersionPages:
    async def test_pages_oldest_first_with_cursor_and_link(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        child_id = await _child_with_versions(client, headers, 5)
        path = f"{URL}/{child_id}/versions"
        seen: list[int] = []
        pages = 0
        response = await client.get(path, params={"limit": 2}, headers=headers)
        while True:
            assert response.status_code == 200, response.text
            body = response.json()
            assert set(body) == {"data", "next_cursor"}
            seen += [v["version"] for v in body["data"]]
            pages += 1
            if body["next_cursor"] is None:
                assert "link" not in response.headers
                break
            link = response.headers["link"]
            assert link.endswith('>; rel="next"')
            assert "limit=2" in link
            next_url = link[1 : link.index(">")]
            response = await client.get(next_url, headers=headers)
        assert seen == [1, 2, 3, 4, 5]
        assert pages == 3
        whole = (await client.get(path, headers=headers)).json()
        assert [v["version"] for v in whole["data"]] == [1, 2, 3, 4, 5]
        assert whole["next_cursor"] is None
        assert [v["resource"]["preferred_name"] for v in whole["data"]][-1] == "Name 4"

    async def test_a_cursor_of_another_resource_or_list_is_refused(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        first = await _child_with_versions(client, headers, 3)
        second = await _child_with_versions(client, headers, 3)
        page = (
            await client.get(f"{URL}/{first}/versions", params={"limit": 1}, headers=headers)
        ).json()
        children = (await client.get(URL, params={"limit": 1}, headers=headers)).json()
        for path, cursor in (
            (f"{URL}/{second}/versions", page["next_cursor"]),
            (f"{URL}/{first}/versions", children["next_cursor"]),
            (f"{URL}/{first}/versions", "A" * 60),  # well-formed, but not one we issued
        ):
            response = await client.get(path, params={"cursor": cursor}, headers=headers)
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["code"] == "cursor_invalid"
        for limit in (0, 201):
            response = await client.get(
                f"{URL}/{first}/versions", params={"limit": limit}, headers=headers
            )
            assert response.status_code == 422
            assert response.json()["errors"][0]["pointer"] == "#/limit"

    async def test_another_clinics_resource_is_404(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        child_id = await _child_with_versions(client, await headers_for(tenant_a), 1)
        headers_b = await headers_for(tenant_b)
        theirs = await client.get(f"{URL}/{child_id}/versions", headers=headers_b)
        missing = await client.get(f"{URL}/{uuid.uuid4()}/versions", headers=headers_b)
        assert theirs.status_code == missing.status_code == 404


def test_every_version_history_is_a_paged_list(app: FastAPI) -> None:
    schema = app.openapi()
    histories = {path: item for path, item in schema["paths"].items() if path.endswith("/versions")}
    assert len(histories) == 7
    for path, item in histories.items():
        operation = item["get"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": "#/components/schemas/Page_VersionPublic_"}, path
        names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert names == {"limit", "cursor"}, path
