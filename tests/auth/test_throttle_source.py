"""The failed-authentication lock is per client id AND source address: a stranger who knows a
client id (it is no secret: every token's `sub` carries it) cannot lock the clinic's real
integration out by failing on purpose; the stranger's own address is locked instead."""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from tests.support.peers import Peer, peers_of
from tests.support.tenants import TenantClient


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@pytest.fixture
def peer(app: FastAPI) -> Peer:
    return peers_of(app)


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=_basic(client_id, secret),
    )


async def _fail_until_locked(app: FastAPI, client: httpx.AsyncClient, client_id: str) -> None:
    for _ in range(app.state.settings.auth_max_failures):
        assert (await _token(client, client_id, "a-wrong-guess")).status_code == 401
    assert (await _token(client, client_id, "a-wrong-guess")).status_code == 429


async def test_a_stranger_failing_on_purpose_does_not_lock_out_the_real_client(
    app: FastAPI, peer: Peer, tenant_a: TenantClient
) -> None:
    assert tenant_a.client_secret
    client_id = str(tenant_a.client_id)
    async with peer("203.0.113.7") as stranger:
        await _fail_until_locked(app, stranger, client_id)
        # The stranger's address stays locked, whatever it presents.
        locked = await _token(stranger, client_id, tenant_a.client_secret)
        assert locked.status_code == 429
    async with peer("198.51.100.20") as integration:
        response = await _token(integration, client_id, tenant_a.client_secret)
    assert response.status_code == 200, response.text


async def test_another_address_of_the_same_ipv6_network_is_still_locked(
    app: FastAPI, peer: Peer, tenant_a: TenantClient
) -> None:
    # An IPv6 host holds a whole /64: counting each of its addresses apart would count nothing.
    client_id = str(tenant_a.client_id)
    async with peer("2001:db8:1:2::1") as stranger:
        await _fail_until_locked(app, stranger, client_id)
    async with peer("2001:db8:1:2:ffff:ffff:ffff:fffe") as same_network:
        assert (await _token(same_network, client_id, "a-wrong-guess")).status_code == 429
