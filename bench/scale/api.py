"""The API as the checks call it: tokens, requests on a new connection, the rows they write."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

# A request with this header ends its connection: the next one opens another, which either
# worker of a replica may accept (uvicorn's workers share the listening socket).
NEW_CONNECTION = {"Connection": "close"}


@dataclass(frozen=True)
class Credentials:
    """A client_secret client."""

    client_id: str
    client_secret: str


async def token(http: httpx.AsyncClient, base_url: str, client: Credentials) -> str:
    """An access token for `client`, issued by the server at `base_url`."""
    response = await http.post(
        f"{base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        headers=NEW_CONNECTION,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def kid_of(access_token: str) -> str:
    """The `kid` of a JWT's header (read, not verified)."""
    header = access_token.split(".", 1)[0]
    decoded = orjson.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    return str(decoded["kid"])


def bearer(access_token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {access_token}"}


async def statuses(
    http: httpx.AsyncClient, base_url: str, paths: list[str], access_token: str, times: int
) -> list[int]:
    """The status of each GET of each path, `times` each, every one on a new connection."""
    headers = {**bearer(access_token), **NEW_CONNECTION}
    found = []
    for _ in range(times):
        for path in paths:
            found.append((await http.get(f"{base_url}{path}", headers=headers)).status_code)
    return found


def child_body(tag: str, number: int) -> dict[str, Any]:
    """A child to create, its `external_id` naming the check and the number."""
    return {
        "given_name": f"Scale{number}",
        "family_name": tag.capitalize(),
        "birth_date": "2024-05-01",
        "sex": "unknown",
        "external_id": f"{tag}-{number}",
    }


async def pages(
    http: httpx.AsyncClient, url: str, access_token: str, params: dict[str, str]
) -> AsyncIterator[dict[str, Any]]:
    """Every item of a paginated list, following `next_cursor`."""
    query = {**params, "limit": "200"}
    while True:
        response = await http.get(url, params=query, headers=bearer(access_token))
        response.raise_for_status()
        page = response.json()
        for item in page["data"]:
            yield item
        if not page.get("next_cursor") or not page["data"]:
            return
        query["cursor"] = page["next_cursor"]
