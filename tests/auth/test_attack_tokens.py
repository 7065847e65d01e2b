"""Forged, tampered, replayed-elsewhere and otherwise hostile tokens all get 401 invalid_token."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.forge import b64url, forge, new_rsa_pem
from tests.support.tenants import (
    TenantClient,
    active_signing_key,
    bearer,
    disable_client,
    mint_token,
    token_claims,
)

PROTECTED = "/v1/clients"


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    body = response.json()
    assert body["code"] == "invalid_token"
    assert response.headers["content-type"] == "application/problem+json"


@pytest.fixture
async def signing(app: FastAPI) -> tuple[str, bytes]:
    return await active_signing_key(app)


def _header(kid: str, **extra: Any) -> dict[str, Any]:
    return {"alg": "RS256", "typ": "at+jwt", "kid": kid, **extra}


async def _call(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(PROTECTED, headers=bearer(token))


async def test_genuine_token_is_accepted(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, signing: tuple[str, bytes]
) -> None:
    kid, pem = signing
    forged_but_valid = forge(_header(kid), token_claims(app, tenant_a), rsa_private_pem=pem)
    assert (await _call(client, forged_but_valid)).status_code == 200
    assert (await _call(client, await mint_token(app, tenant_a))).status_code == 200


HeaderCase = Callable[[str], dict[str, Any]]
HEADER_ATTACKS: dict[str, HeaderCase] = {
    "unknown_kid": lambda kid: _header("not-our-kid"),
    "no_kid": lambda kid: {"alg": "RS256", "typ": "at+jwt"},
    "jku": lambda kid: _header(kid, jku="https://evil.example/jwks.json"),
    "x5u": lambda kid: _header(kid, x5u="https://evil.example/cert.pem"),
    "jwk": lambda kid: _header(kid, jwk={"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
    "x5c": lambda kid: _header(kid, x5c=["MIIB"]),
    "crit": lambda kid: _header(kid, crit=["exp"]),
    "typ_missing": lambda kid: {"alg": "RS256", "kid": kid},
    "typ_jwt": lambda kid: _header(kid, typ="JWT"),
}


@pytest.mark.parametrize("case", sorted(HEADER_ATTACKS))
async def test_hostile_header_is_401(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    signing: tuple[str, bytes],
    case: str,
) -> None:
    kid, pem = signing
    token = forge(HEADER_ATTACKS[case](kid), token_claims(app, tenant_a), rsa_private_pem=pem)
    assert_invalid_token(await _call(client, token))


async def test_alg_none_is_401(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, signing: tuple[str, bytes]
) -> None:
    kid, _ = signing
    token = forge({"alg": "none", "typ": "at+jwt", "kid": kid}, token_claims(app, tenant_a))
    assert_invalid_token(await _call(client, token))


async def test_hs256_with_our_public_key_as_secret_is_401(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, signing: tuple[str, bytes]
) -> None:
    kid, _ = signing
    public = (await client.get("/.well-known/jwks.json")).json()["keys"][0]
    for secret in (public["n"].encode(), str(public).encode()):
        token = forge(
            {"alg": "HS256", "typ": "at+jwt", "kid": kid},
            token_claims(app, tenant_a),
            hmac_secret=secret,
        )
        assert_invalid_token(await _call(client, token))


async def test_foreign_key_with_our_kid_is_401(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, signing: tuple[str, bytes]
) -> None:
    kid, _ = signing
    token = forge(_header(kid), token_claims(app, tenant_a), rsa_private_pem=new_rsa_pem())
    assert_invalid_token(await _call(client, token))


async def test_tampered_payload_is_401(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    tenant_b: TenantClient,
) -> None:
    token = await mint_token(app, tenant_a)
    header, _, signature = token.split(".")
    # Same signature, payload switched to the other clinic: the classic tenant hop.
    claims = token_claims(app, tenant_a, clinic_id=str(tenant_b.clinic_id))
    payload = b64url(json.dumps(claims).encode())
    assert_invalid_token(await _call(client, f"{header}.{payload}.{signature}"))


def _claim_cases(app: FastAPI, tenant: TenantClient) -> dict[str, dict[str, Any]]:
    now = int(time.time())
    return {
        "expired": token_claims(app, tenant, iat=now - 900, exp=now - 300),
        "issued_in_the_future": token_claims(app, tenant, iat=now + 600, exp=now + 900),
        "lifetime_too_long": token_claims(app, tenant, iat=now, exp=now + 3600),
        "wrong_audience": token_claims(app, tenant, aud="another-api"),
        "wrong_issuer": token_claims(app, tenant, iss="https://evil.example"),
        "sub_not_client": token_claims(app, tenant, sub="someone-else"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "issued_in_the_future",
        "lifetime_too_long",
        "wrong_audience",
        "wrong_issuer",
        "sub_not_client",
    ],
)
async def test_bad_claims_are_401(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    signing: tuple[str, bytes],
    case: str,
) -> None:
    kid, pem = signing
    token = forge(_header(kid), _claim_cases(app, tenant_a)[case], rsa_private_pem=pem)
    assert_invalid_token(await _call(client, token))


class TestExpiry:
    """An expired token says so (RFC 6750 §3 `error_description`); nothing else is revealed."""

    async def test_expired_token_says_it_expired(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        signing: tuple[str, bytes],
    ) -> None:
        kid, pem = signing
        now = int(time.time())
        claims = token_claims(app, tenant_a, iat=now - 900, exp=now - 300)
        response = await _call(client, forge(_header(kid), claims, rsa_private_pem=pem))
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == (
            'Bearer error="invalid_token", error_description="The access token expired"'
        )
        body = response.json()
        assert body["code"] == "invalid_token"
        assert "expired" in body["detail"]

    async def test_expired_within_the_leeway_is_accepted(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        signing: tuple[str, bytes],
    ) -> None:
        kid, pem = signing
        now = int(time.time())
        leeway = app.state.settings.token_leeway_seconds
        claims = token_claims(app, tenant_a, iat=now - 200, exp=now - leeway + 10)
        response = await _call(client, forge(_header(kid), claims, rsa_private_pem=pem))
        assert response.status_code == 200

    async def test_expired_token_with_a_bad_signature_reveals_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        # Expiry is only told for a token we signed: a forgery learns nothing from its exp.
        kid, _ = await active_signing_key(app)
        now = int(time.time())
        claims = token_claims(app, tenant_a, iat=now - 900, exp=now - 300)
        token = forge(_header(kid), claims, rsa_private_pem=new_rsa_pem())
        assert_invalid_token(await _call(client, token))


@pytest.mark.parametrize("claim", ["exp", "iat", "aud", "iss", "sub", "jti", "clinic_id", "scope"])
async def test_missing_required_claim_is_401(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    signing: tuple[str, bytes],
    claim: str,
) -> None:
    kid, pem = signing
    claims = token_claims(app, tenant_a)
    del claims[claim]
    assert_invalid_token(await _call(client, forge(_header(kid), claims, rsa_private_pem=pem)))


async def test_token_for_an_unregistered_clinic_pairing_is_401(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    tenant_b: TenantClient,
    signing: tuple[str, bytes],
) -> None:
    # Correctly signed, but client A claims clinic B: checked against the registration.
    kid, pem = signing
    claims = token_claims(app, tenant_a, clinic_id=str(tenant_b.clinic_id))
    assert_invalid_token(await _call(client, forge(_header(kid), claims, rsa_private_pem=pem)))


async def test_disabled_client_token_is_401(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
) -> None:
    token = await mint_token(app, tenant_a)
    assert (await _call(client, token)).status_code == 200
    await disable_client(app, tenant_a)
    assert_invalid_token(await _call(client, token))


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b", "a.b.c.d", "..", "é.é.é", "x" * 12_000, "Bearer"],
)
async def test_garbage_is_401(client: httpx.AsyncClient, token: str) -> None:
    value = f"Bearer {token}".encode()
    response = await client.get(PROTECTED, headers={b"Authorization": value})
    assert response.status_code == 401


async def test_a_token_past_the_header_limit_is_431(client: httpx.AsyncClient) -> None:
    value = f"Bearer {'x' * 20_000}".encode()
    response = await client.get(PROTECTED, headers={b"Authorization": value})
    assert response.status_code == 431


async def test_other_schemes_are_401(client: httpx.AsyncClient) -> None:
    response = await client.get(PROTECTED, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
