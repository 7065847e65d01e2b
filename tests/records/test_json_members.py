"""A JSON object naming a member twice (RFC 8259 §4: names SHOULD be unique; parsers then
disagree on which value counts) is refused with a pointer to the member, never read as one of
its values: a gateway in front or the client's own log may have read the other."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.clinics import Clinic
from tests.support.sessions import URL


def with_member_twice(body: dict[str, Any], path: list[str | int], other: Any) -> bytes:
    """`body` as JSON text with the member at `path` written once more, last, as `other`."""
    *parents, name = path
    target: Any = body
    for parent in parents:
        target = target[parent]
    marker = "__twice__"
    target[marker] = None
    text = json.dumps(body)
    return text.replace(f'"{marker}": null', f'"{name}": {json.dumps(other)}').encode()


def sent(clinic: Clinic) -> dict[str, str]:
    return {**clinic.headers, "Content-Type": "application/json"}


async def count(client: httpx.AsyncClient, clinic: Clinic) -> int:
    response = await client.get(URL, params={"limit": 200}, headers=clinic.headers)
    assert response.status_code == 200, response.text
    return len(response.json()["data"])


def errors(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(e["pointer"], e["code"]) for e in response.json()["errors"]]


async def test_a_member_named_twice_is_422_pointing_at_it(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    top = with_member_twice(clinic.new(), ["duration_minutes"], 5)
    assert top.count(b'"duration_minutes"') == 2
    answer = await client.post(URL, content=top, headers=sent(clinic))
    assert errors(answer) == [("#/duration_minutes", "duplicate_member")]
    nested = with_member_twice(clinic.new(), ["notes", "plan"], "Another plan.")
    answer = await client.post(URL, content=nested, headers=sent(clinic))
    assert errors(answer) == [("#/notes/plan", "duplicate_member")]
    record = clinic.new()
    batch = {"items": [{"idempotency_key": "twice-1", "record": record}]}
    in_batch = with_member_twice(batch, ["items", 0, "record", "started_at"], "2025-03-05T09:00Z")
    answer = await client.post(f"{URL}/batch", content=in_batch, headers=sent(clinic))
    assert errors(answer) == [("#/items/0/record/started_at", "duplicate_member")]
    assert await count(client, clinic) == 0


async def test_one_name_in_different_objects_is_no_matter(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    # Each exercise has its own `repetitions`; each item its own `record`.
    answer = await client.post(URL, content=json.dumps(clinic.new()).encode(), headers=sent(clinic))
    assert answer.status_code == 201, answer.text
