"""A malformed `If-Match` is a 400 that shows how to quote an ETag, on every operation taking it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.records import seed_child
from tests.support.tenants import TenantClient

MALFORMED = ["1", "garbage", '"1', '1"', "W/1", '"1" "2"', '"1",,x', "**", '"a"b"']
WELL_FORMED = ['"1"', ' "7" ', 'W/"1"', '"1", "2"', "*", '""']


def _if_match_operations(app: FastAPI) -> Iterator[tuple[str, str]]:
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            names = {p["name"].lower() for p in parameters if p["in"] == "header"}
            if "if-match" in names:
                yield method.upper(), path


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def assert_malformed_if_match(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "malformed_if_match"
    assert 'If-Match: "3"' in body["detail"]


async def test_every_operation_taking_if_match_refuses_a_malformed_one(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
) -> None:
    operations = list(_if_match_operations(app))
    assert len(operations) >= 15, "the walker found too few operations"
    headers = await headers_for(tenant_a)
    for method, path in operations:
        for value in MALFORMED:
            response = await client.request(
                method,
                _concrete(path),
                headers={**headers, "If-Match": value},
                json={} if method in ("POST", "PUT", "PATCH") else None,
            )
            assert_malformed_if_match(response)


async def test_a_well_formed_if_match_goes_on_to_the_resource(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
) -> None:
    headers = await headers_for(tenant_a)
    for value in WELL_FORMED:
        response = await client.delete(
            f"/v1/children/{uuid.uuid4()}", headers={**headers, "If-Match": value}
        )
        assert response.status_code == 404, value


class TestOnARealRow:
    @pytest.fixture
    async def child_url(self, app: FastAPI, tenant_a: TenantClient) -> str:
        return f"/v1/children/{(await seed_child(app, tenant_a)).id}"

    async def test_unquoted_version_is_400_not_412(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child_url: str,
    ) -> None:
        headers = await headers_for(tenant_a)
        current = await client.get(child_url, headers=headers)
        version = current.headers["etag"].strip('"')
        response = await client.patch(
            child_url, json={"given_name": "Ana"}, headers={**headers, "If-Match": version}
        )
        assert_malformed_if_match(response)
        unchanged = await client.get(child_url, headers=headers)
        assert unchanged.json()["given_name"] == current.json()["given_name"]

    async def test_quoted_etag_and_star_still_match(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        child_url: str,
    ) -> None:
        headers = await headers_for(tenant_a)
        etag = (await client.get(child_url, headers=headers)).headers["etag"]
        quoted = await client.patch(
            child_url, json={"given_name": "Ana"}, headers={**headers, "If-Match": etag}
        )
        assert quoted.status_code == 200, quoted.text
        star = await client.patch(
            child_url, json={"given_name": "Eva"}, headers={**headers, "If-Match": "*"}
        )
        assert star.status_code == 200, star.text
        stale = await client.patch(
            child_url, json={"given_name": "Ida"}, headers={**headers, "If-Match": etag}
        )
        assert stale.status_code == 412

    async def test_upsert_by_external_id_refuses_it_in_both_branches(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        body = {"given_name": "Mia", "family_name": "Test", "birth_date": "2024-03-01"}
        url = "/v1/children/by-external-id/MRN-IFMATCH"
        creating = await client.put(url, json=body, headers={**headers, "If-Match": "1"})
        assert_malformed_if_match(creating)
