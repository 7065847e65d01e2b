"""The memo of verified tokens: a hit never outlives the token or its key."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from dmi_api.auth.principal import Principal
from dmi_api.auth.token_memo import VerifiedTokens
from tests.support.tenants import TenantClient, bearer, mint_token

PRINCIPAL = Principal(
    client_id=uuid.uuid4(), clinic_id=uuid.uuid4(), scopes=frozenset({"a"}), token_jti="j"
)
KIDS = frozenset({"k1", "k2"})


def test_a_hit_needs_the_token_unexpired_and_its_key_known() -> None:
    memo = VerifiedTokens(leeway_seconds=30)
    memo.put("t", PRINCIPAL, kid="k1", expires_at=1000)
    assert memo.get("t", KIDS, now=1029) == PRINCIPAL
    assert memo.get("other", KIDS, now=1000) is None
    assert memo.get("t", frozenset({"k2"}), now=1000) is None  # the key was retired
    assert len(memo) == 0  # and the entry with it
    memo.put("t", PRINCIPAL, kid="k1", expires_at=1000)
    assert memo.get("t", KIDS, now=1030) is None  # expired, leeway included
    assert len(memo) == 0


def test_the_memo_is_bounded() -> None:
    memo = VerifiedTokens(leeway_seconds=0, max_entries=3)
    for i in range(10):
        memo.put(f"t{i}", PRINCIPAL, kid="k1", expires_at=10**10)
    assert len(memo) == 3
    assert memo.get("t0", KIDS) is None
    assert memo.get("t9", KIDS) == PRINCIPAL


async def test_only_verified_tokens_are_remembered(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
) -> None:
    token = await mint_token(app, tenant_a)
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}AAAA"
    assert (await client.get("/v1/children", headers=bearer(tampered))).status_code == 401
    assert len(app.state.keyring.verified) == 0
    assert (await client.get("/v1/children", headers=bearer(token))).status_code == 200
    assert (await client.get("/v1/children", headers=bearer(tampered))).status_code == 401
    assert len(app.state.keyring.verified) == 1
