"""/v1/clients: no token → wrong scope → another clinic's client → bad input → success."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.support.forge import new_rsa_pem, rsa_public_jwk
from tests.support.tenants import TenantClient, bearer, mint_token


@pytest.fixture
async def admin_a(app: FastAPI, tenant_a: TenantClient) -> dict[str, str]:
    return bearer(await mint_token(app, tenant_a, scopes=["clients:admin"]))


class TestCreate:
    async def test_no_token(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/clients", json={"name": "x", "scopes": ["children:read"]})
        assert response.status_code == 401

    async def test_wrong_scope(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        token = await mint_token(app, tenant_a, scopes=["children:read", "audit:read"])
        response = await client.post(
            "/v1/clients", json={"name": "x", "scopes": ["children:read"]}, headers=bearer(token)
        )
        assert response.status_code == 403

    @pytest.mark.parametrize(
        ("payload", "pointer"),
        [
            ({"name": "", "scopes": ["children:read"]}, "#/name"),
            ({"name": "x", "scopes": []}, "#/scopes"),
            ({"name": "x", "scopes": ["root:everything"]}, "#/scopes/0"),
            (
                {"name": "x", "scopes": ["children:read"], "clinic_id": str(uuid.uuid4())},
                "#/clinic_id",
            ),
            (
                {"name": "x", "scopes": ["children:read"], "auth_method": "private_key_jwt"},
                "#",
            ),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        admin_a: dict[str, str],
        payload: dict[str, object],
        pointer: str,
    ) -> None:
        response = await client.post("/v1/clients", json=payload, headers=admin_a)
        assert response.status_code == 422
        assert pointer in [e["pointer"] for e in response.json()["errors"]]

    async def test_private_jwks_is_refused(
        self, client: httpx.AsyncClient, admin_a: dict[str, str]
    ) -> None:
        jwk = rsa_public_jwk(new_rsa_pem(), "k") | {"d": "AQAB"}
        response = await client.post(
            "/v1/clients",
            json={
                "name": "x",
                "scopes": ["children:read"],
                "auth_method": "private_key_jwt",
                "jwks": {"keys": [jwk]},
            },
            headers=admin_a,
        )
        assert response.status_code == 422

    async def test_a_jwks_whose_key_does_not_parse_is_refused_like_a_misshapen_one(
        self, client: httpx.AsyncClient, admin_a: dict[str, str], tenant_a: TenantClient
    ) -> None:
        # Well shaped (the schema's check) but off the curve: only parsing the key finds it.
        coordinate = base64.urlsafe_b64encode(b"\x01" * 32).rstrip(b"=").decode()
        jwks = {"keys": [{"kty": "EC", "crv": "P-256", "x": coordinate, "y": coordinate}]}
        expected = {
            "type": "urn:dmi-api:problem:validation_error",
            "title": "Unprocessable Content",
            "status": 422,
            "code": "validation_error",
            "detail": "The request has invalid fields; see `errors`.",
            "errors": [
                {
                    "location": "body",
                    "pointer": "#/jwks",
                    "detail": "a key could not be parsed",
                    "code": "jwks_invalid",
                }
            ],
        }
        created = await client.post(
            "/v1/clients",
            json={"name": "x", "scopes": ["children:read"], "auth_method": "private_key_jwt"}
            | {"jwks": jwks},
            headers=admin_a,
        )
        # A client_secret client: the JWKS is refused before the auth method is looked at.
        updated = await client.patch(
            f"/v1/clients/{tenant_a.client_id}", json={"jwks": jwks}, headers=admin_a
        )
        for response in (created, updated):
            assert response.status_code == 422
            assert response.headers["content-type"] == "application/problem+json"
            body = {k: v for k, v in response.json().items() if k not in ("request_id", "instance")}
            assert body == expected

    async def test_success_shows_the_secret_once(
        self, client: httpx.AsyncClient, admin_a: dict[str, str], tenant_a: TenantClient
    ) -> None:
        response = await client.post(
            "/v1/clients", json={"name": "EHR sync", "scopes": ["children:read"]}, headers=admin_a
        )
        assert response.status_code == 201
        body = response.json()
        assert body["clinic_id"] == str(tenant_a.clinic_id)
        assert body["client_secret"]
        assert response.headers["location"] == f"/v1/clients/{body['client_id']}"
        again = await client.get(f"/v1/clients/{body['client_id']}", headers=admin_a)
        assert again.status_code == 200
        assert "client_secret" not in again.json()
        assert body["client_secret"] not in again.text


class TestReadAndUpdate:
    async def test_another_clinics_client_is_404_like_a_missing_one(
        self, client: httpx.AsyncClient, admin_a: dict[str, str], tenant_b: TenantClient
    ) -> None:
        other = await client.get(f"/v1/clients/{tenant_b.client_id}", headers=admin_a)
        missing = await client.get(f"/v1/clients/{uuid.uuid4()}", headers=admin_a)
        assert other.status_code == missing.status_code == 404

        def strip(response: httpx.Response) -> dict[str, object]:
            return {k: v for k, v in response.json().items() if k != "request_id"}

        assert strip(other) == strip(missing)
        for verb, path in (
            ("PATCH", f"/v1/clients/{tenant_b.client_id}"),
            ("POST", f"/v1/clients/{tenant_b.client_id}/rotate-secret"),
        ):
            response = await client.request(verb, path, json={"active": False}, headers=admin_a)
            assert response.status_code == 404, verb

    async def test_list_shows_only_own_clinic(
        self,
        client: httpx.AsyncClient,
        admin_a: dict[str, str],
        tenant_a: TenantClient,
        tenant_b: TenantClient,
    ) -> None:
        body = (await client.get("/v1/clients", headers=admin_a)).json()
        ids = {row["client_id"] for row in body["data"]}
        assert str(tenant_a.client_id) in ids
        assert str(tenant_b.client_id) not in ids

    async def test_pagination_and_tampered_cursor(
        self, client: httpx.AsyncClient, admin_a: dict[str, str]
    ) -> None:
        for index in range(3):
            await client.post(
                "/v1/clients",
                json={"name": f"c{index}", "scopes": ["children:read"]},
                headers=admin_a,
            )
        first = await client.get("/v1/clients", params={"limit": 2}, headers=admin_a)
        page = first.json()
        assert len(page["data"]) == 2
        assert page["next_cursor"]
        assert 'rel="next"' in first.headers["link"]
        second = (
            await client.get(
                "/v1/clients", params={"limit": 2, "cursor": page["next_cursor"]}, headers=admin_a
            )
        ).json()
        seen = [r["client_id"] for r in page["data"] + second["data"]]
        assert len(seen) == len(set(seen)) == 4
        assert second["next_cursor"] is None
        tampered = page["next_cursor"][:-2] + (
            "AA" if not page["next_cursor"].endswith("AA") else "BB"
        )
        response = await client.get("/v1/clients", params={"cursor": tampered}, headers=admin_a)
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/cursor"

    async def test_disable_and_rotate(
        self, app: FastAPI, client: httpx.AsyncClient, admin_a: dict[str, str]
    ) -> None:
        created = (
            await client.post(
                "/v1/clients", json={"name": "app", "scopes": ["children:read"]}, headers=admin_a
            )
        ).json()
        rotated = await client.post(
            f"/v1/clients/{created['client_id']}/rotate-secret", headers=admin_a
        )
        assert rotated.status_code == 200
        assert rotated.json()["client_secret"] != created["client_secret"]
        disabled = await client.patch(
            f"/v1/clients/{created['client_id']}", json={"active": False}, headers=admin_a
        )
        assert disabled.json()["active"] is False
        assert disabled.json()["disabled_at"]

    async def test_null_cannot_clear_what_a_client_always_has(
        self, client: httpx.AsyncClient, admin_a: dict[str, str]
    ) -> None:
        # A merge patch's null clears a field: these cannot be cleared, so it is refused
        # (as on the records API), never taken for "leave it as it is".
        created = (
            await client.post(
                "/v1/clients", json={"name": "app", "scopes": ["children:read"]}, headers=admin_a
            )
        ).json()
        url = f"/v1/clients/{created['client_id']}"
        for field in ("name", "scopes", "active", "jwks"):
            response = await client.patch(url, json={field: None}, headers=admin_a)
            assert response.status_code == 422, (field, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
                (f"#/{field}", "null_not_allowed")
            ]
        response = await client.patch(url, json={"name": None, "active": None}, headers=admin_a)
        assert [e["pointer"] for e in response.json()["errors"]] == ["#/active", "#/name"]
        # `rate_limit_per_minute: null` means the service default: still accepted.
        response = await client.patch(url, json={"rate_limit_per_minute": None}, headers=admin_a)
        assert response.status_code == 200, response.text
        unchanged = (await client.get(url, headers=admin_a)).json()
        assert (unchanged["name"], unchanged["scopes"], unchanged["active"]) == (
            "app",
            ["children:read"],
            True,
        )
