"""Header limits (431) and HEAD wherever GET is served."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from dmi_api.http.request_shape import MAX_HEADER_BYTES, MAX_HEADER_COUNT, header_bytes
from tests.records.conftest import Headers
from tests.support.tenants import TenantClient

CHILD = {"given_name": "Ana", "family_name": "Ruiz", "birth_date": "2024-01-15", "sex": "female"}


def padded(base: dict[str, str], *, total_fields: int) -> dict[str, str]:
    """`base` plus filler headers up to `total_fields` fields (httpx adds its own five)."""
    own = 5  # host, accept, accept-encoding, connection, user-agent
    return {**base, **{f"x-fill-{i}": "1" for i in range(total_fields - own - len(base))}}


class TestHeaderLimits:
    async def test_one_hundred_fields_pass(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz", headers=padded({}, total_fields=MAX_HEADER_COUNT))
        assert response.status_code == 200

    async def test_more_than_one_hundred_fields_is_431(self, client: httpx.AsyncClient) -> None:
        headers = padded({"X-Request-ID": "trace-431-count"}, total_fields=MAX_HEADER_COUNT + 1)
        response = await client.get("/healthz", headers=headers)
        assert response.status_code == 431
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "header_fields_too_large"
        assert body["request_id"] == "trace-431-count"

    async def test_sixteen_kib_pass_and_one_byte_more_is_431(
        self, client: httpx.AsyncClient
    ) -> None:
        own = [
            (b"host", b"testserver"),
            (b"accept", b"*/*"),
            (b"accept-encoding", b"gzip, deflate"),
            (b"connection", b"keep-alive"),
            (b"user-agent", f"python-httpx/{httpx.__version__}".encode()),
        ]
        room = MAX_HEADER_BYTES - header_bytes([*own, (b"x-big", b"")])
        exact = await client.get("/healthz", headers={"x-big": "a" * room})
        assert exact.status_code == 200
        over = await client.get("/healthz", headers={"x-big": "a" * (room + 1)})
        assert over.status_code == 431
        assert "16384 bytes" in over.json()["detail"]

    async def test_limit_applies_before_authentication(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/v1/children", headers={"x-big": "a" * (MAX_HEADER_BYTES + 1)}, json=CHILD
        )
        assert response.status_code == 431


class TestHead:
    async def test_no_token_is_401_without_body(self, client: httpx.AsyncClient) -> None:
        response = await client.head("/v1/children")
        assert response.status_code == 401
        assert "www-authenticate" in response.headers
        assert response.content == b""

    async def test_wrong_scope_is_403(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        response = await client.head(
            "/v1/children", headers=await headers_for(tenant_a, "sessions:read")
        )
        assert response.status_code == 403

    async def test_another_clinics_child_is_404(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        created = await client.post(
            "/v1/children", json=CHILD, headers=await headers_for(tenant_b, "children:write")
        )
        assert created.status_code == 201, created.text
        response = await client.head(
            f"/v1/children/{created.json()['id']}",
            headers=await headers_for(tenant_a, "children:read"),
        )
        assert response.status_code == 404
        assert response.content == b""

    async def test_child_has_the_gets_status_and_headers_without_body(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        writer = await headers_for(tenant_a, "children:write", "children:read")
        created = await client.post("/v1/children", json=CHILD, headers=writer)
        url = f"/v1/children/{created.json()['id']}"
        get = await client.get(url, headers=writer)
        head = await client.head(url, headers=writer)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        assert head.headers["etag"] == get.headers["etag"]
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == str(len(get.content))
        not_modified = await client.head(
            url, headers={**writer, "If-None-Match": get.headers["etag"]}
        )
        assert not_modified.status_code == 304

    async def test_lists_and_public_documents(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        reader = await headers_for(tenant_a, "children:read", "practitioners:read")
        for url in ("/v1/children", "/v1/practitioners"):
            response = await client.head(url, headers=reader)
            assert response.status_code == 200, url
            assert response.content == b""
        for url in ("/healthz", "/openapi.json", "/.well-known/jwks.json"):
            response = await client.head(url)
            assert response.status_code == 200, url
            assert response.content == b""

    async def test_a_405_names_head_where_get_is_served(self, client: httpx.AsyncClient) -> None:
        # RFC 9110 §15.5.6: Allow lists the methods the target supports, and HEAD is one.
        for method, url, allowed in (
            ("PUT", f"/v1/children/{uuid.uuid4()}", "DELETE, GET, HEAD, PATCH"),
            ("POST", "/healthz", "GET, HEAD"),
            ("PUT", "/v1/children", "GET, HEAD, POST"),
        ):
            response = await client.request(method, url, json={})
            assert response.status_code == 405, url
            assert response.headers["allow"] == allowed, url

    async def test_not_where_get_is_not_served(self, client: httpx.AsyncClient) -> None:
        response = await client.head("/oauth/token")
        assert response.status_code == 405
        assert "HEAD" not in response.headers["allow"]


def test_app_has_the_middleware(app: FastAPI) -> None:
    names = {m.cls.__name__ for m in app.user_middleware}  # type: ignore[attr-defined]
    assert {"HeaderLimitMiddleware", "HeadAsGetMiddleware"} <= names
