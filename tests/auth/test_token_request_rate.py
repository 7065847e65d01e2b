"""Token requests are counted per source address before any secret is checked: each check is a
slow hash (scrypt, ~60 ms of CPU), so one address flooding `/oauth/token`, with made-up client
ids that no lock ever catches, must not buy the server's CPU without bound."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from tests.support.peers import Peer, peers_of
from tests.support.tenants import TenantClient

QUOTA = 3


@pytest.fixture
def limited_app(app: FastAPI) -> Iterator[FastAPI]:
    """The shared app with a small quota of token requests, for this test only."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"token_requests_per_minute": QUOTA})
    try:
        yield app
    finally:
        app.state.settings = settings


@pytest.fixture
def peer(limited_app: FastAPI) -> Peer:
    return peers_of(limited_app)


def _address(network: str) -> str:
    """An address of its own per test run: the counts outlive a test (a minute's window)."""
    suffix = uuid.uuid4().int
    if ":" in network:
        return f"{network}{suffix % 0xFFFF:x}:{(suffix >> 16) % 0xFFFF:x}::1"
    return f"{network}{suffix % 250 + 1}"


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


class TestTokenRequestsPerAddress:
    async def test_past_the_quota_an_address_gets_429_with_retry_after(
        self, peer: Peer, tenant_a: TenantClient
    ) -> None:
        assert tenant_a.client_secret
        async with peer(_address("198.18.0.")) as script:
            for _ in range(QUOTA):
                ok = await _token(script, str(tenant_a.client_id), tenant_a.client_secret)
                assert ok.status_code == 200, ok.text
            refused = await _token(script, str(tenant_a.client_id), tenant_a.client_secret)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"] == "temporarily_unavailable"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["cache-control"] == "no-store"

    async def test_made_up_client_ids_count_too(self, peer: Peer, tenant_a: TenantClient) -> None:
        # Each made-up id is a fresh failure count that no lock catches; the address's count
        # stops the flood, and the real client's own address is untouched.
        assert tenant_a.client_secret
        async with peer(_address("198.18.1.")) as flood:
            answers = [
                (await _token(flood, str(uuid.uuid4()), "a-guess")).status_code
                for _ in range(QUOTA + 2)
            ]
        assert answers == [401] * QUOTA + [429, 429]
        async with peer(_address("198.18.2.")) as integration:
            response = await _token(integration, str(tenant_a.client_id), tenant_a.client_secret)
        assert response.status_code == 200, response.text

    async def test_an_ipv6_host_is_counted_by_its_64(
        self, peer: Peer, tenant_a: TenantClient
    ) -> None:
        network = _address("2001:db8:").removesuffix("::1")
        async with peer(f"{network}::1") as first:
            for _ in range(QUOTA):
                assert (await _token(first, str(uuid.uuid4()), "x")).status_code == 401
        async with peer(f"{network}:ffff:ffff:ffff:fffe") as same_network:
            assert (await _token(same_network, str(uuid.uuid4()), "x")).status_code == 429

    async def test_bad_input_is_counted_and_still_a_clear_error(self, peer: Peer) -> None:
        async with peer(_address("198.18.3.")) as client:
            answers = [
                await client.post("/oauth/token", data={"grant_type": "password"})
                for _ in range(QUOTA + 1)
            ]
        assert [answer.status_code for answer in answers[:QUOTA]] == [400] * QUOTA
        assert answers[QUOTA].status_code == 429
