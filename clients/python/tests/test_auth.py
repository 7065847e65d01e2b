"""Tokens from the served app's `/oauth/token`: a secret (HTTP Basic) and a private_key_jwt
assertion, sync and async; a new token before the old one expires (the app's tokens live 60 s
here); a refused token replaced once; refused credentials reported without the secret."""

from __future__ import annotations

import time

import pytest

from dmi_api_client import (
    AsyncDmiClient,
    AuthenticationError,
    ClientSecret,
    DmiClient,
    PrivateKeyJwt,
)
from tests.support.served import TOKEN_LIFETIME_SECONDS, Served


def test_secret_and_jwt_clients_call_the_api(served: Served) -> None:
    for credentials in (served.secret, served.jwt):
        with DmiClient(served.url, credentials) as client:
            page = client.children.page(limit=1)
            assert page.data is not None
            assert client.transport.tokens.issued == 1


async def test_async_secret_and_jwt_clients_call_the_api(served: Served) -> None:
    for credentials in (served.secret, served.jwt):
        async with AsyncDmiClient(served.url, credentials) as client:
            await client.practitioners.page(limit=1)
            assert client.transport.tokens.issued == 1


def test_a_jwt_client_from_a_key_file(served: Served) -> None:
    credentials = PrivateKeyJwt.from_file(
        served.jwt.client_id, served.key_path, key_id="client-tests-key"
    )
    with DmiClient(served.url, credentials) as client:
        client.exercises.page(limit=1)


@pytest.mark.parametrize("kind", ["secret", "jwt"])
def test_the_token_is_renewed_before_it_expires(served: Served, kind: str) -> None:
    credentials = served.secret if kind == "secret" else served.jwt
    leeway = TOKEN_LIFETIME_SECONDS - 2  # renewed 2 s after it was issued
    with DmiClient(served.url, credentials, token_leeway=leeway) as client:
        client.children.page(limit=1)
        first = client.transport.tokens.authorization()
        client.children.page(limit=1)
        assert client.transport.tokens.issued == 1  # still fresh
        time.sleep(2.2)
        client.children.page(limit=1)
        assert client.transport.tokens.issued == 2
        assert client.transport.tokens.authorization() != first


async def test_async_token_is_renewed_once_for_concurrent_calls(served: Served) -> None:
    import asyncio

    async with AsyncDmiClient(
        served.url, served.jwt, token_leeway=TOKEN_LIFETIME_SECONDS - 1
    ) as client:
        await client.children.page(limit=1)
        await asyncio.sleep(1.2)
        await asyncio.gather(*(client.children.page(limit=1) for _ in range(5)))
        assert client.transport.tokens.issued == 2


def test_a_refused_token_is_replaced_once(served: Served) -> None:
    with DmiClient(served.url, served.secret) as client:
        client.children.page(limit=1)
        # A token the server refuses (a revoked one, say) that the client thinks fresh.
        token = client.transport.tokens.token
        assert token is not None
        token["access_token"] = "not-a-token"
        client.children.page(limit=1)
        assert client.transport.tokens.issued == 2


def test_refused_credentials_name_no_secret(served: Served) -> None:
    wrong = ClientSecret(served.secret.client_id, "not-the-secret-abc123")
    with DmiClient(served.url, wrong) as client, pytest.raises(AuthenticationError) as raised:
        client.children.page()
    assert "401" in str(raised.value)
    assert "not-the-secret-abc123" not in str(raised.value)
    assert "not-the-secret-abc123" not in repr(wrong)
