"""Tokens from the served app's `/oauth/token`: a secret (HTTP Basic) and a private_key_jwt
assertion, sync and async; a new token before the old one expires (the app's tokens live 60 s
here); a refused token replaced once; refused credentials reported without the secret."""

from __future__ import annotations

import asyncio

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


async def test_tokens_are_renewed_before_they_expire(served: Served) -> None:
    # Renewed 3 to 4 s after they were issued (authlib keeps expiry in whole seconds).
    leeway = TOKEN_LIFETIME_SECONDS - 4
    with (
        DmiClient(served.url, served.secret, token_leeway=leeway) as by_secret,
        DmiClient(served.url, served.jwt, token_leeway=leeway) as by_key,
    ):
        async with AsyncDmiClient(served.url, served.jwt, token_leeway=leeway) as by_key_async:

            async def call_each() -> None:
                by_secret.children.page(limit=1)
                by_key.children.page(limit=1)
                # Concurrent calls due for a new token fetch one, not one each.
                await asyncio.gather(*(by_key_async.children.page(limit=1) for _ in range(4)))

            clients = (by_secret.transport, by_key.transport, by_key_async.transport)
            await call_each()
            first = [t.tokens.authorization() for t in clients]
            await call_each()
            assert [t.tokens.issued for t in clients] == [1, 1, 1]  # still fresh
            await asyncio.sleep(4.1)
            await call_each()
            assert [t.tokens.issued for t in clients] == [2, 2, 2]
            renewed = [t.tokens.authorization() for t in clients]
            assert all(new != old for new, old in zip(renewed, first, strict=True))


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
