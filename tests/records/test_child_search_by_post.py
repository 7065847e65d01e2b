"""`POST /v1/children/search`: a search by name or birth date whose values stay out of every
URL (proxies, access logs and browser histories record URLs; a child's name there is PHI)."""

from __future__ import annotations

import httpx
import pytest

from tests.records.conftest import Headers
from tests.records.test_children import create
from tests.support.tenants import TenantClient

SEARCH = "/v1/children/search"


def _names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [f"{row['given_name']} {row['family_name']}" for row in response.json()["data"]]


@pytest.mark.usefixtures("serving_path")
class TestSearchByPost:
    async def _seed(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        for index, (given, family, born) in enumerate(
            [
                ("Mia", "Lopez", "2024-03-01"),
                ("Mila", "Lopez-Diaz", "2023-05-02"),
                ("Milo", "Lopes", "2024-06-03"),
                ("Noah", "Park", "2024-03-01"),
            ]
        ):
            await create(
                client,
                headers,
                given_name=given,
                family_name=family,
                birth_date=born,
                external_id=f"MRN-p{index}",
            )

    async def test_pages_of_a_name_search_keep_the_name_out_of_every_url(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        await self._seed(client, await headers_for(tenant_a, "children:write"))
        await self._seed(client, await headers_for(tenant_b, "children:write"))
        reader = await headers_for(tenant_a, "children:read")
        search = {"family_name": "lop", "birth_date_from": "2024-01-01", "sort": "created_at"}
        first = await client.post(SEARCH, json={**search, "limit": 1}, headers=reader)
        assert _names(first) == ["Mia Lopez"]
        cursor = first.json()["next_cursor"]
        assert cursor is not None
        # No Link to a GET URL: it would carry the name back into a URL.
        assert "link" not in first.headers
        assert first.headers["cache-control"] == "no-store"
        second = await client.post(
            SEARCH, json={**search, "limit": 1, "cursor": cursor}, headers=reader
        )
        assert _names(second) == ["Milo Lopes"]
        assert second.json()["next_cursor"] is None
        # The same filters, the same rows as the list's query string gives.
        listed = await client.get("/v1/children", params={**search, "limit": 10}, headers=reader)
        assert _names(listed) == ["Mia Lopez", "Milo Lopes"]
        # A cursor is bound to its search, as the list's are.
        moved = {"family_name": "p", "cursor": cursor, "sort": "created_at"}
        other = await client.post(SEARCH, json=moved, headers=reader)
        assert other.status_code == 422
        assert other.json()["errors"][0]["code"] == "cursor_invalid"

    async def test_costs_a_read_and_needs_only_the_read_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        writer = await headers_for(tenant_a, "children:write")
        assert (await client.post(SEARCH, json={}, headers=writer)).status_code == 403
        reader = await headers_for(tenant_a, "children:read")
        first = await client.post(SEARCH, json={"given_name": "x"}, headers=reader)
        second = await client.post(SEARCH, json={"given_name": "x"}, headers=reader)
        assert first.status_code == second.status_code == 200

        def remaining(response: httpx.Response) -> int:
            return int(response.headers["ratelimit"].split(";r=")[1].split(";")[0])

        assert remaining(first) - remaining(second) == 1

    async def test_a_misspelt_filter_or_bad_value_is_a_422_that_echoes_nothing(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        reader = await headers_for(tenant_a, "children:read")
        # Unknown in a body is refused: ignoring it would list every child.
        typo = await client.post(SEARCH, json={"givenname": "Zoraida"}, headers=reader)
        assert typo.status_code == 422, typo.text
        assert typo.headers["content-type"] == "application/problem+json"
        assert [e["pointer"] for e in typo.json()["errors"]] == ["#/givenname"]
        for body in (
            {"family_name": "Zoraida" * 20},
            {"birth_date_from": "Zoraida"},
            {"given_name": ["Zoraida"]},
        ):
            response = await client.post(SEARCH, json=body, headers=reader)
            assert response.status_code == 422, response.text
            assert "Zoraida" not in response.text
        backwards = {"birth_date_from": "2024-02-01", "birth_date_to": "2024-01-01"}
        reversed_range = await client.post(SEARCH, json=backwards, headers=reader)
        assert reversed_range.status_code == 422
        [error] = reversed_range.json()["errors"]
        assert (error["location"], error["pointer"]) == ("body", "#/birth_date_to")
        no_json = await client.post(
            SEARCH, content=b"given_name=Zoraida", headers={**reader, "content-type": "text/plain"}
        )
        assert no_json.status_code in (415, 422), no_json.text
        assert "Zoraida" not in no_json.text
