"""RFC 6749 §5.2 at the token endpoint: a client that tried HTTP Basic and failed is told
`invalid_client` with 401 and a Basic challenge, however its credentials were wrong."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

CHALLENGE = 'Basic realm="dmi-api", charset="UTF-8"'
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.mark.parametrize(
    "credentials",
    [
        "!!!not-base64",
        base64.b64encode(b"no-colon-here").decode(),
        base64.b64encode(b"\xff\xfe:secret").decode(),  # not UTF-8
        base64.b64encode(b"a\x00b:secret").decode(),
        base64.b64encode(b"a%00b:secret").decode(),
        base64.b64encode(b"client:se\x00cret").decode(),
        "",
    ],
    ids=[
        "not_base64",
        "no_colon",
        "not_utf8",
        "nul_in_id",
        "encoded_nul_in_id",
        "nul_in_secret",
        "empty",
    ],
)
async def test_malformed_basic_credentials_are_invalid_client_with_a_challenge(
    client: httpx.AsyncClient, credentials: str
) -> None:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == CHALLENGE
    assert response.headers["cache-control"] == "no-store"


async def _unattributed_token_events(db: AsyncConnection, request_id: str) -> list[Any]:
    if db.dialect.name == "postgresql":
        # The app's role may only insert events of no clinic: count this transaction's inserts.
        query = text("SELECT n_tup_ins FROM pg_stat_xact_user_tables WHERE relname = :t")
        return [(await db.execute(query, {"t": "audit_event_unattributed"})).scalar_one()]
    query = text("SELECT action, outcome FROM audit_event_unattributed WHERE request_id = :r")
    return [tuple(row) for row in (await db.execute(query, {"r": request_id})).all()]


@pytest.mark.parametrize(
    ("headers", "form"),
    [
        ({"Authorization": "Basic !!!not-base64"}, {}),
        ({"Authorization": "Bearer some-token"}, {}),
        ({}, {"client_assertion_type": JWT_BEARER, "client_assertion": "not.a.jwt"}),
        ({}, {}),
        # Recorded all along: the measure's control.
        ({"Authorization": "Basic " + base64.b64encode(f"{uuid.uuid4()}:x".encode()).decode()}, {}),
    ],
    ids=[
        "malformed_basic",
        "another_scheme",
        "garbled_assertion",
        "no_authentication",
        "unknown_client",
    ],
)
async def test_a_refused_client_authentication_naming_no_client_is_audited(
    client: httpx.AsyncClient,
    db_connection: AsyncConnection,
    headers: dict[str, str],
    form: dict[str, str],
) -> None:
    # README, the audit trail: every client authentication refused at /oauth/token is an event
    # (`token`, 401); one that names no client goes to the unattributed events.
    request_id = f"probe-{uuid.uuid4().hex}"
    before = await _unattributed_token_events(db_connection, request_id)
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", **form},
        headers={**headers, "X-Request-ID": request_id},
    )
    assert response.status_code == 401
    after = await _unattributed_token_events(db_connection, request_id)
    if db_connection.dialect.name == "postgresql":
        assert after == [before[0] + 1]
    else:
        assert after == [("token", 401)]


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Digest username=x", "Bearer"])
async def test_a_request_without_a_bearer_token_gets_a_bare_challenge(
    client: httpx.AsyncClient, authorization: str
) -> None:
    # RFC 6750 §3.1: a request that lacks a bearer token (another scheme: the client did not
    # know it must send one) is not told its token is invalid: it has none.
    response = await client.get("/v1/children", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == "Use the Bearer authentication scheme."
