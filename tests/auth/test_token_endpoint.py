"""POST /oauth/token: client credentials by Basic, form or signed assertion; RFC 6749 errors."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.models import ApiClient
from dmi_api.security import secrets as secrets_module
from dmi_api.tenant_scope import Tenant, bind_settings
from tests.support.forge import forge, new_rsa_pem, rsa_public_jwk
from tests.support.tenants import TenantClient, bearer, make_tenant

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


async def token_request(
    client: httpx.AsyncClient, data: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post("/oauth/token", data=data, headers=headers or {})


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]


class TestClientSecret:
    async def test_basic_auth_issues_a_bearer_token(
        self, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        assert tenant_a.client_secret
        response = await token_request(
            client,
            {"grant_type": "client_credentials"},
            basic(str(tenant_a.client_id), tenant_a.client_secret),
        )
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 300
        assert set(body["scope"].split()) == set(tenant_a.scopes)
        protected = await client.get("/v1/clients", headers=bearer(body["access_token"]))
        assert protected.status_code == 200

    async def test_form_credentials(
        self, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        assert tenant_a.client_secret
        response = await token_request(
            client,
            {
                "grant_type": "client_credentials",
                "client_id": str(tenant_a.client_id),
                "client_secret": tenant_a.client_secret,
            },
        )
        assert response.status_code == 200

    async def test_scope_narrows_never_widens(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        tenant = await make_tenant(app, scopes=["children:read", "sessions:read"])
        assert tenant.client_secret
        auth = basic(str(tenant.client_id), tenant.client_secret)
        narrowed = await token_request(
            client, {"grant_type": "client_credentials", "scope": "children:read"}, auth
        )
        assert narrowed.json()["scope"] == "children:read"
        widened = await token_request(
            client, {"grant_type": "client_credentials", "scope": "children:write"}, auth
        )
        assert_oauth_error(widened, 400, "invalid_scope")

    async def test_wrong_secret_is_invalid_client(
        self, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        response = await token_request(
            client, {"grant_type": "client_credentials"}, basic(str(tenant_a.client_id), "nope")
        )
        assert_oauth_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic")

    @pytest.mark.parametrize("client_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
    async def test_unknown_client_is_invalid_client(
        self, client: httpx.AsyncClient, client_id: str
    ) -> None:
        response = await token_request(
            client,
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "x"},
        )
        assert_oauth_error(response, 401, "invalid_client")

    async def test_disabled_client_cannot_get_tokens(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        assert tenant_a.client_secret
        admin_token = (
            await token_request(
                client,
                {"grant_type": "client_credentials"},
                basic(str(tenant_a.client_id), tenant_a.client_secret),
            )
        ).json()["access_token"]
        patched = await client.patch(
            f"/v1/clients/{tenant_a.client_id}", json={"active": False}, headers=bearer(admin_token)
        )
        assert patched.status_code == 200
        response = await token_request(
            client,
            {"grant_type": "client_credentials"},
            basic(str(tenant_a.client_id), tenant_a.client_secret),
        )
        assert_oauth_error(response, 401, "invalid_client")

    async def test_a_client_id_of_two_clinics_authenticates_neither(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        # The key is (clinic_id, id): only the id's randomness keeps it to one clinic. Were it
        # found in two, the lookup by id alone answers for neither (`tokens.find_client`).
        assert tenant_a.client_secret
        other = await make_tenant(app)
        async with app.state.sessionmaker() as db:
            await bind_settings(db, clinic_id=other.clinic_id)
            Tenant(db, other.clinic_id).add(
                ApiClient(
                    id=tenant_a.client_id,
                    clinic_id=other.clinic_id,
                    name="twin",
                    scopes="children:read",
                    auth_method="client_secret",
                )
            )
            await db.commit()
        response = await token_request(
            client,
            {"grant_type": "client_credentials"},
            basic(str(tenant_a.client_id), tenant_a.client_secret),
        )
        assert_oauth_error(response, 401, "invalid_client")


class TestRequestErrors:
    async def test_unsupported_grant_type(self, client: httpx.AsyncClient) -> None:
        response = await token_request(client, {"grant_type": "password"})
        assert_oauth_error(response, 400, "unsupported_grant_type")

    async def test_missing_grant_type(self, client: httpx.AsyncClient) -> None:
        assert_oauth_error(await token_request(client, {}), 400, "invalid_request")

    async def test_no_client_authentication(self, client: httpx.AsyncClient) -> None:
        response = await token_request(client, {"grant_type": "client_credentials"})
        assert_oauth_error(response, 401, "invalid_client")

    async def test_two_authentication_methods(
        self, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        assert tenant_a.client_secret
        response = await token_request(
            client,
            {"grant_type": "client_credentials", "client_secret": tenant_a.client_secret},
            basic(str(tenant_a.client_id), tenant_a.client_secret),
        )
        assert_oauth_error(response, 400, "invalid_request")

    async def test_repeated_parameter(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/oauth/token",
            content=b"grant_type=client_credentials&grant_type=client_credentials",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert_oauth_error(response, 400, "invalid_request")

    async def test_json_body_is_invalid_request(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/oauth/token", json={"grant_type": "client_credentials"})
        assert_oauth_error(response, 400, "invalid_request")


class TestThrottle:
    async def test_repeated_failures_are_throttled_with_retry_after(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        assert tenant_a.client_secret
        wrong = basic(str(tenant_a.client_id), "wrong-secret")
        limit = app.state.settings.auth_max_failures
        for _ in range(limit):
            failed = await token_request(client, {"grant_type": "client_credentials"}, wrong)
            assert failed.status_code == 401
        throttled = await token_request(client, {"grant_type": "client_credentials"}, wrong)
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        # Even the right secret waits: the lock is on the client id (from this address), not
        # the guess.
        right = basic(str(tenant_a.client_id), tenant_a.client_secret)
        assert (
            await token_request(client, {"grant_type": "client_credentials"}, right)
        ).status_code == 429


def _assertion_claims(app: FastAPI, client_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": app.state.settings.token_url,
        "exp": now + 120,
        "iat": now,
        "jti": secrets.token_urlsafe(12),
    }
    claims.update(overrides)
    return claims


class TestPrivateKeyJwt:
    @pytest.fixture
    async def jwt_client(self, app: FastAPI) -> tuple[TenantClient, bytes]:
        pem = new_rsa_pem()
        jwks = {"keys": [rsa_public_jwk(pem, "client-key-1")]}
        tenant = await make_tenant(
            app, scopes=["children:read"], auth_method="private_key_jwt", jwks=jwks
        )
        return tenant, pem

    def _form(self, assertion: str) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        }

    def _assertion(self, pem: bytes, claims: dict[str, Any]) -> str:
        return forge(
            {"alg": "RS256", "kid": "client-key-1", "typ": "JWT"}, claims, rsa_private_pem=pem
        )

    async def test_signed_assertion_issues_a_token_once(
        self, app: FastAPI, client: httpx.AsyncClient, jwt_client: tuple[TenantClient, bytes]
    ) -> None:
        tenant, pem = jwt_client
        assertion = self._assertion(pem, _assertion_claims(app, str(tenant.client_id)))
        first = await token_request(client, self._form(assertion))
        assert first.status_code == 200, first.text
        assert first.json()["scope"] == "children:read"
        replay = await token_request(client, self._form(assertion))
        assert_oauth_error(replay, 401, "invalid_client")

    @pytest.mark.parametrize(
        "overrides",
        [
            {"aud": "https://other.example/token"},
            {"iss": "someone-else"},
            {"exp": int(time.time()) + 3600},
            {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900},
        ],
        ids=["wrong_aud", "iss_not_sub", "exp_too_far", "expired"],
    )
    async def test_bad_assertions_are_refused(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        jwt_client: tuple[TenantClient, bytes],
        overrides: dict[str, Any],
    ) -> None:
        tenant, pem = jwt_client
        claims = _assertion_claims(app, str(tenant.client_id), **overrides)
        response = await token_request(client, self._form(self._assertion(pem, claims)))
        assert_oauth_error(response, 401, "invalid_client")

    async def test_assertion_signed_by_another_key(
        self, app: FastAPI, client: httpx.AsyncClient, jwt_client: tuple[TenantClient, bytes]
    ) -> None:
        tenant, _ = jwt_client
        claims = _assertion_claims(app, str(tenant.client_id))
        response = await token_request(client, self._form(self._assertion(new_rsa_pem(), claims)))
        assert_oauth_error(response, 401, "invalid_client")


class TestControlCharacters:
    """The database cannot hold NUL or lone surrogates: presented ids are refused before any
    lookup, as RFC 6749 errors (they were 500s)."""

    @pytest.mark.parametrize(
        "raw",
        [b"a\x00b:secret", b"a%00b:secret", b"client:se\x00cret"],
        ids=["nul_in_id", "encoded_nul_in_id", "nul_in_secret"],
    )
    async def test_basic_credentials_with_nul_are_invalid_client(
        self, client: httpx.AsyncClient, raw: bytes
    ) -> None:
        # RFC 6749 §5.2: failed Basic authentication is invalid_client, 401 with a challenge.
        headers = {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        response = await token_request(client, {"grant_type": "client_credentials"}, headers)
        assert_oauth_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic ")

    async def test_form_client_id_with_nul_is_invalid_request(
        self, client: httpx.AsyncClient
    ) -> None:
        form = {"grant_type": "client_credentials", "client_id": "a\x00b", "client_secret": "s"}
        assert_oauth_error(await token_request(client, form), 400, "invalid_request")

    @pytest.mark.parametrize("iss", ["a\x00b", "\ud800"], ids=["nul", "lone_surrogate"])
    async def test_assertion_naming_an_unstorable_client_is_invalid_client(
        self, app: FastAPI, client: httpx.AsyncClient, iss: str
    ) -> None:
        claims = _assertion_claims(app, iss)
        assertion = forge({"alg": "RS256", "typ": "JWT"}, claims, rsa_private_pem=new_rsa_pem())
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        }
        assert_oauth_error(await token_request(client, form), 401, "invalid_client")

    @pytest.mark.parametrize("jti", ["a\x00b", "\udfff"], ids=["nul", "lone_surrogate"])
    async def test_signed_assertion_with_an_unstorable_jti_is_invalid_client(
        self, app: FastAPI, client: httpx.AsyncClient, jti: str
    ) -> None:
        pem = new_rsa_pem()
        jwks = {"keys": [rsa_public_jwk(pem, "client-key-1")]}
        tenant = await make_tenant(
            app, scopes=["children:read"], auth_method="private_key_jwt", jwks=jwks
        )
        claims = _assertion_claims(app, str(tenant.client_id), jti=jti)
        header = {"alg": "RS256", "kid": "client-key-1", "typ": "JWT"}
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": forge(header, claims, rsa_private_pem=pem),
        }
        assert_oauth_error(await token_request(client, form), 401, "invalid_client")


class TestDiscovery:
    async def test_metadata_describes_the_endpoint(self, client: httpx.AsyncClient) -> None:
        body = (await client.get("/.well-known/oauth-authorization-server")).json()
        assert body["issuer"] == "http://testserver"
        assert body["token_endpoint"] == "http://testserver/oauth/token"
        assert body["grant_types_supported"] == ["client_credentials"]
        assert "private_key_jwt" in body["token_endpoint_auth_methods_supported"]
        assert "children:read" in body["scopes_supported"]

    async def test_jwks_has_public_members_only(self, client: httpx.AsyncClient) -> None:
        keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert keys
        for key in keys:
            assert set(key) <= {"kty", "kid", "use", "alg", "n", "e"}
            assert key["kty"] == "RSA"


async def test_secret_never_appears_in_logs_or_later_responses(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = tenant_a.client_secret
    assert secret
    with caplog.at_level(logging.DEBUG):
        token = (
            await token_request(
                client, {"grant_type": "client_credentials"}, basic(str(tenant_a.client_id), secret)
            )
        ).json()["access_token"]
        responses = [
            await client.get("/v1/clients", headers=bearer(token)),
            await client.get(f"/v1/clients/{tenant_a.client_id}", headers=bearer(token)),
            await client.get("/v1/audit-events", headers=bearer(token)),
        ]
    for response in responses:
        assert response.status_code == 200
        assert secret not in response.text
        assert "secret_hash" not in response.text
    logged = " ".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)
    assert secret not in logged
    assert token not in logged


async def test_rotated_keys_keep_verifying_until_they_expire(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
) -> None:
    from dmi_api.auth.signing_keys import rotate_signing_key
    from tests.support.tenants import mint_token

    old_token = await mint_token(app, tenant_a)
    old_kid = (await app.state.keyring.current()).active_kid
    # A short refresh interval and no clock skew: the new key signs two seconds after it is
    # published.
    quick = app.state.settings.model_copy(
        update={"signing_key_refresh_seconds": 1, "token_leeway_seconds": 0}
    )
    rotation = await rotate_signing_key(app.state.sessionmaker, quick)
    await app.state.keyring.refresh()
    kids = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert {old_kid, rotation.kid} <= kids  # published at once...
    assert (await app.state.keyring.current()).active_kid == old_kid  # ...signing later
    await asyncio.sleep((rotation.signs_from - datetime.now(UTC)).total_seconds() + 0.05)
    new_token = await mint_token(app, tenant_a)
    assert (await app.state.keyring.current()).active_kid == rotation.kid != old_kid
    for token in (old_token, new_token):
        assert (await client.get("/v1/clients", headers=bearer(token))).status_code == 200


class TestThrottleSpelling:
    async def test_another_spelling_of_a_locked_client_id_is_still_locked(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        assert tenant_a.client_secret
        wrong = basic(str(tenant_a.client_id), "wrong-secret")
        for _ in range(app.state.settings.auth_max_failures):
            await token_request(client, {"grant_type": "client_credentials"}, wrong)
        canonical = str(tenant_a.client_id)
        for spelling in (canonical.upper(), canonical.replace("-", ""), f"{{{canonical}}}"):
            response = await token_request(
                client,
                {"grant_type": "client_credentials"},
                basic(spelling, tenant_a.client_secret),
            )
            assert response.status_code == 429, spelling


class TestSlowHashOffTheLoop:
    async def test_other_requests_are_served_while_a_secret_is_checked(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # scrypt takes ~60 ms of CPU a check; made slower here so that a blocked loop shows.
        real = secrets_module._scrypt
        loop = asyncio.get_running_loop()
        started = asyncio.Event()
        hashing: list[float] = []

        def slow_scrypt(*args: Any) -> bytes:
            hashing.append(time.perf_counter())
            loop.call_soon_threadsafe(started.set)  # whichever thread hashes
            time.sleep(0.6)
            return real(*args)

        monkeypatch.setattr(secrets_module, "_scrypt", slow_scrypt)
        wrong = basic(str(tenant_a.client_id), "wrong-secret")
        token = asyncio.create_task(
            token_request(client, {"grant_type": "client_credentials"}, wrong)
        )
        await started.wait()
        health = await client.get("/healthz")
        waited = time.perf_counter() - hashing[0]
        assert health.status_code == 200
        assert (await token).status_code == 401
        assert waited < 0.3, f"/healthz waited {waited:.2f} s for another request's hash"
