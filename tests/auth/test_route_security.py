"""Every protected route of the app: 401 without a token, 403 with a token lacking its scope."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.auth.scopes import ALL_SCOPES
from dmi_api.config import Settings
from tests.conftest import build_test_app
from tests.support.tenants import TenantClient, bearer, disable_client, make_tenant, mint_token

PUBLIC_PATHS = {
    "/healthz",
    "/readyz",
    "/oauth/token",
    "/.well-known/oauth-authorization-server",
    "/.well-known/jwks.json",
    "/fhir/R4/metadata",
    "/fhir/R4/.well-known/smart-configuration",
}
FHIR_JSON = "application/fhir+json"


def _error_code(response: httpx.Response) -> str:
    """The API's error code: a problem's `code`, an OperationOutcome's first `details.text`."""
    body = response.json()
    if response.headers["content-type"] == FHIR_JSON:
        return str(body["issue"][0]["details"]["text"])
    return str(body["code"])


def _field_codes(response: httpx.Response) -> list[tuple[str, str]]:
    """Each field error's pointer and code, from a problem or an OperationOutcome."""
    body = response.json()
    if response.headers["content-type"] == FHIR_JSON:
        return [(i["expression"][0], i["details"]["text"]) for i in body["issue"]]
    return [(e["pointer"], e["code"]) for e in body["errors"]]


@pytest.fixture(scope="module")
def operations(settings: Settings) -> list[tuple[str, str, list[str]]]:
    """(method, path, scopes) of every route, from the app's document (made once: a second or
    two each time)."""
    schema = build_test_app(settings).openapi()
    found = []
    for path, item in schema["paths"].items():
        if path.startswith("/_probe"):
            continue
        for method, operation in item.items():
            requirements: list[dict[str, list[str]]] = operation.get("security", [])
            scopes = [scope for req in requirements for scope in req.get("oauth2", [])]
            found.append((method.upper(), path, scopes))
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def _body(method: str) -> dict[str, Any]:
    return {"json": {}} if method in ("POST", "PUT", "PATCH") else {}


def test_every_non_public_route_declares_scopes(
    operations: list[tuple[str, str, list[str]]],
) -> None:
    for method, path, scopes in operations:
        if path in PUBLIC_PATHS:
            assert not scopes, (method, path)
        else:
            assert scopes, f"{method} {path} declares no scope"


@pytest.fixture
def protected(operations: list[tuple[str, str, list[str]]]) -> list[tuple[str, str, list[str]]]:
    found = [op for op in operations if op[1] not in PUBLIC_PATHS]
    assert found, "no protected routes found: the walker is broken"
    return found


async def test_no_token_is_401_everywhere(
    client: httpx.AsyncClient, protected: list[tuple[str, str, list[str]]]
) -> None:
    for method, path, _ in protected:
        response = await client.request(method, _concrete(path), **_body(method))
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer", (method, path)
        fhir = path.startswith("/fhir/")  # FHIR's error body there: an OperationOutcome
        assert response.headers["content-type"] == (
            FHIR_JSON if fhir else "application/problem+json"
        )


async def test_token_in_query_string_is_never_honoured(
    app: FastAPI, client: httpx.AsyncClient, protected: list[tuple[str, str, list[str]]]
) -> None:
    # No operation takes `access_token`: it is refused as an unknown parameter, unread.
    tenant = await make_tenant(app)
    token = await mint_token(app, tenant)
    for method, path, _ in protected:
        response = await client.request(
            method, _concrete(path), params={"access_token": token}, **_body(method)
        )
        # FHIR answers an invalid read or search with 400.
        assert response.status_code == (400 if path.startswith("/fhir/") else 422), (method, path)
        assert _field_codes(response) == [("#/access_token", "unknown_parameter")], (method, path)


async def test_token_without_the_scope_is_403_everywhere(
    app: FastAPI, client: httpx.AsyncClient, protected: list[tuple[str, str, list[str]]]
) -> None:
    tenant: TenantClient = await make_tenant(app)
    for method, path, scopes in protected:
        others = sorted(ALL_SCOPES - set(scopes))
        token = await mint_token(app, tenant, scopes=others)
        response = await client.request(
            method, _concrete(path), headers=bearer(token), **_body(method)
        )
        assert response.status_code == 403, (method, path)
        assert _error_code(response) == "insufficient_scope"
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


async def test_a_disabled_clients_token_is_refused_everywhere(
    app: FastAPI, client: httpx.AsyncClient, protected: list[tuple[str, str, list[str]]]
) -> None:
    # Its live tokens die with the client, on the one-statement (direct) routes too.
    tenant: TenantClient = await make_tenant(app)
    token = await mint_token(app, tenant)
    assert (await client.get("/v1/children", headers=bearer(token))).status_code == 200
    await disable_client(app, tenant)
    wrong = []
    for method, path, _ in protected:
        response = await client.request(
            method, _concrete(path), headers=bearer(token), **_body(method)
        )
        # A one-statement create checks the client in its statement, after the body's shape:
        # the empty body sent here is refused first (422), which says nothing of any record.
        refused = {401, 422} if method == "POST" else {401}
        if response.status_code not in refused:
            wrong.append((method, path, response.status_code))
    assert wrong == []
