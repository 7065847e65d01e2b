"""RFC 6749 §5.2 at the token endpoint: a client that tried HTTP Basic and failed is told
`invalid_client` with 401 and a Basic challenge, however its credentials were wrong."""

from __future__ import annotations

import base64

import httpx
import pytest

CHALLENGE = 'Basic realm="dmi-api", charset="UTF-8"'


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
