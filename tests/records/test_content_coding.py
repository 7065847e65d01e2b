"""Request bodies compressed on the way (`Content-Encoding`), as a mobile backend on a metered
network sends them: gzip is read as the JSON it holds, within the body limit counted on the
decompressed bytes; any other coding is a 415 naming the one accepted, never read as plain."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.clinics import Clinic
from tests.support.sessions import URL


def compressed(body: Any) -> bytes:
    return gzip.compress(json.dumps(body).encode())


def sent_as(clinic: Clinic, coding: str) -> dict[str, str]:
    return {**clinic.headers, "Content-Type": "application/json", "Content-Encoding": coding}


async def count(client: httpx.AsyncClient, clinic: Clinic) -> int:
    response = await client.get(URL, params={"limit": 200}, headers=clinic.headers)
    assert response.status_code == 200, response.text
    return len(response.json()["data"])


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


async def test_a_gzip_body_is_read_as_the_json_it_holds(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    sent = await client.post(URL, content=compressed(clinic.new()), headers=sent_as(clinic, "gzip"))
    assert sent.status_code == 201, sent.text
    plain = await client.post(URL, json=clinic.new(), headers=clinic.headers)
    skip = {"id", "created_at", "updated_at"}
    assert {k: v for k, v in sent.json().items() if k not in skip} == {
        k: v for k, v in plain.json().items() if k not in skip
    }
    batch = {"items": [{"idempotency_key": "gz-1", "record": clinic.new()}]}
    answer = await client.post(
        f"{URL}/batch", content=compressed(batch), headers=sent_as(clinic, "GZIP")
    )
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == [201]
    assert await count(client, clinic) == 3


async def test_another_coding_is_415_naming_gzip(client: httpx.AsyncClient, clinic: Clinic) -> None:
    # Read as plain, a body said to be compressed would be taken for what it is not.
    for coding in ("br", "deflate", "gzip, br", "zstd"):
        plain = json.dumps(clinic.new()).encode()
        answer = await client.post(URL, content=plain, headers=sent_as(clinic, coding))
        assert problem(answer, 415)["code"] == "unsupported_media_type", coding
        assert answer.headers["accept-encoding"] == "gzip"
    identity = sent_as(clinic, "identity")
    assert (await client.post(URL, json=clinic.new(), headers=identity)).status_code == 201
    assert await count(client, clinic) == 1


async def test_what_is_not_gzip_is_400(client: httpx.AsyncClient, clinic: Clinic) -> None:
    whole = compressed(clinic.new())
    for body in (json.dumps(clinic.new()).encode(), whole[: len(whole) // 2], whole + b"tail"):
        answer = await client.post(URL, content=body, headers=sent_as(clinic, "gzip"))
        assert problem(answer, 400)["code"] == "bad_request"
    assert await count(client, clinic) == 0


async def test_the_body_limit_counts_the_decompressed_bytes(
    app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
) -> None:
    limit = app.state.settings.max_body_bytes
    padded = json.dumps(clinic.new()).replace("{", "{" + " " * (limit + 1), 1)
    bomb = gzip.compress(padded.encode())
    assert len(bomb) < limit // 100
    answer = await client.post(URL, content=bomb, headers=sent_as(clinic, "gzip"))
    assert problem(answer, 413)["code"] == "payload_too_large"
    assert await count(client, clinic) == 0


async def test_a_gzip_body_streamed_in_small_pieces(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    # A week of a caregiver's logs, one batch, in the pieces a slow uplink delivers.
    items = [
        {"idempotency_key": f"streamed-{i}", "record": clinic.new(duration_minutes=1 + i)}
        for i in range(100)
    ]
    body = compressed({"items": items})
    pieces_sent: list[int] = []

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 97):
            pieces_sent.append(start)
            yield body[start : start + 97]

    answer = await client.post(f"{URL}/batch", content=pieces(), headers=sent_as(clinic, "gzip"))
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == [201] * 100
    assert len(pieces_sent) > 10
    assert await count(client, clinic) == 100
