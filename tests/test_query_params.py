"""Query parameters an operation does not take are refused (422, one error each) on `/v1`;
the probes, the OAuth endpoints and the discovery documents ignore them."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.http.routing import DmiRoute
from tests.support.direct import both_paths
from tests.support.records import seed_child
from tests.support.tenants import TenantClient, bearer, make_tenant, mint_token

RECORDS_PREFIX = "/v1"


def _operations(app: FastAPI) -> Iterator[tuple[str, str, set[str]]]:
    """(method, path, declared query names) of every operation of the app's own document."""
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            yield method.upper(), path, declared


def _routes(app: FastAPI) -> Iterator[DmiRoute]:
    def walk(routes: list[Any]) -> Iterator[DmiRoute]:
        for route in routes:
            if isinstance(route, DmiRoute):
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    yield from walk(app.router.routes)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def _unknown(response: httpx.Response) -> list[tuple[str, str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(e["location"], e["pointer"], e["code"]) for e in response.json()["errors"]]


@pytest.fixture
async def headers(app: FastAPI) -> dict[str, str]:
    tenant: TenantClient = await make_tenant(app)
    return bearer(await mint_token(app, tenant))


class TestUnknownQueryParameters:
    async def test_every_records_operation_names_each_unknown_parameter(
        self, app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        operations = [op for op in _operations(app) if op[1].startswith(RECORDS_PREFIX)]
        assert len(operations) > 40, "the walker found too few operations"
        for method, path, declared in operations:
            assert not {"colour", "x y"} & declared
            response = await client.request(
                method,
                _concrete(path),
                params=[("colour", "red"), ("x y", "1"), ("colour", "blue")],
                headers=headers,
                json={} if method in ("POST", "PUT", "PATCH") else None,
            )
            assert _unknown(response) == [
                ("query", "#/colour", "unknown_parameter"),
                ("query", "#/x y", "unknown_parameter"),
            ], (method, path)

    async def test_declared_parameters_and_aliases_are_accepted(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        for url in (
            "/v1/children?limit=1&sort=-updated_at&birth_date_from=2020-01-01&status=active",
            "/v1/session-records?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z&type=dmi",
            "/v1/audit-events?from=2025-01-01T00:00:00&limit=5",
            "/v1/assessments?from=2025-01-01&updated_since=2025-01-01T00:00:00Z",
        ):
            response = await client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.text)

    async def test_a_field_name_is_not_its_alias(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        # The query string says `from`; the Python name behind it is not a parameter.
        response = await client.get("/v1/audit-events?occurred_from=2025-01-01", headers=headers)
        assert _unknown(response) == [("query", "#/occurred_from", "unknown_parameter")]

    async def test_the_fast_routes_refuse_them_both_ways(
        self, app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        # GET /v1/children and GET /v1/children/{id} skip FastAPI's solver (fast_params).
        tenant = await make_tenant(app)
        child = await seed_child(app, tenant)
        headers = bearer(await mint_token(app, tenant))
        routes = [route for route in _routes(app) if route.fast_handler is not None]
        assert routes
        for url in ("/v1/children?limitt=5", f"/v1/children/{child.id}?limitt=5"):
            fast = await client.get(url, headers=headers)
            saved = [(route, route.fast_handler) for route in routes]
            for route in routes:
                route.fast_handler = None
            try:
                solved = await client.get(url, headers=headers)
            finally:
                for route, handler in saved:
                    route.fast_handler = handler
            for response in (fast, solved):
                assert _unknown(response) == [("query", "#/limitt", "unknown_parameter")], url

    @pytest.mark.postgres_only
    async def test_refused_on_the_direct_and_the_session_path(
        self, app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        for url in ("/v1/children?statuss=active", "/v1/session-records?child=1"):
            direct, session = await both_paths(app, client, url, headers)
            assert _unknown(direct) == _unknown(session)
            assert len(_unknown(direct)) == 1

    async def test_no_token_is_still_401_for_a_known_query(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/children?limit=5")
        assert response.status_code == 401


class TestRepeatedQueryParameters:
    """A parameter that takes one value, sent twice, is refused: the API would otherwise read
    only the last one, and `child_id=A&child_id=B` would silently list B's rows alone."""

    async def test_a_single_valued_parameter_sent_twice_is_422(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        tenant = await make_tenant(app)
        one, two = await seed_child(app, tenant), await seed_child(app, tenant)
        headers = bearer(await mint_token(app, tenant))
        for url, name in (
            (f"/v1/session-records?child_id={one.id}&child_id={two.id}", "child_id"),
            (f"/v1/milestones?child_id={one.id}&limit=5&child_id={one.id}", "child_id"),
            ("/v1/children?limit=1&limit=2", "limit"),
            (f"/v1/children/{one.id}/progress?from=2025-01-01&from=2025-02-01", "from"),
            ("/v1/audit-events?action=read&action=list", "action"),
        ):
            response = await client.get(url, headers=headers)
            assert _unknown(response) == [("query", f"#/{name}", "repeated_parameter")], url
        # An unknown parameter sent twice is one error, as before.
        response = await client.get(f"/v1/children/{one.id}?x=1&x=2", headers=headers)
        assert _unknown(response) == [("query", "#/x", "unknown_parameter")]

    async def test_a_list_parameter_may_repeat(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        tenant = await make_tenant(app)
        child = await seed_child(app, tenant)
        headers = bearer(await mint_token(app, tenant))
        url = f"/fhir/R4/Observation?patient={child.id}&date=ge2020-01-01&date=lt2030-01-01"
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text


class TestLenientEndpoints:
    """Probes and discovery are called by load balancers and monitors with cache-busting
    parameters; RFC 6749 §3.2 has the token endpoint ignore unrecognised parameters."""

    async def test_probes_and_discovery_ignore_unknown_parameters(
        self, client: httpx.AsyncClient
    ) -> None:
        for path in (
            "/healthz",
            "/readyz",
            "/.well-known/jwks.json",
            "/.well-known/oauth-authorization-server",
        ):
            response = await client.get(path, params={"foo": "", "_": "1700000000"})
            assert response.status_code == 200, path

    async def test_token_endpoint_ignores_unknown_parameters(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        tenant = await make_tenant(app)
        assert tenant.client_secret
        basic = base64.b64encode(f"{tenant.client_id}:{tenant.client_secret}".encode()).decode()
        response = await client.post(
            "/oauth/token?foo=bar",
            data={"grant_type": "client_credentials", "audience": "ignored"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200, response.text

    def test_only_the_lenient_endpoints_ignore_them(self, app: FastAPI) -> None:
        lenient = {route.path for route in _routes(app) if not route.refuses_unknown_query}
        assert lenient == {
            "/healthz",
            "/readyz",
            "/oauth/token",
            "/.well-known/oauth-authorization-server",
            "/.well-known/jwks.json",
        }
