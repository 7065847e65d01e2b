"""`POST /v1/children/{child_id}/<collection>`: creating through a child's collection works as the
top-level POST does (the child taken from the path), on both database paths."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.clinics import Clinic
from tests.support.records import seed_child
from tests.support.tenants import bearer, mint_token

Body = Callable[[Clinic], dict[str, Any]]
# collection → (write scope, a valid body without child_id, a body wrong at the pointer)
COLLECTIONS: dict[str, tuple[str, Body, tuple[dict[str, Any], str]]] = {
    "assessments": (
        "assessments:write",
        lambda c: {
            "assessor_id": c.practitioner_id,
            "instrument": "gmfm88",
            "performed_on": "2025-03-04",
            "items": {"1": 3, "2": 2},
            "goal_dimensions": ["B"],
        },
        ({"instrument": "nope"}, "#/instrument"),
    ),
    "milestones": (
        "milestones:write",
        lambda c: {"milestone": "sitting_without_support", "achieved_on": "2024-11-20"},
        ({"milestone": "nope"}, "#/milestone"),
    ),
    "prescriptions": (
        "prescriptions:write",
        lambda c: {
            "prescriber_id": c.practitioner_id,
            "setting": "home",
            "period_start": "2025-03-01",
            "items": [{"exercise_id": c.exercise_ids[0], "repetitions": 5}],
        },
        ({"setting": "nope"}, "#/setting"),
    ),
    "session-records": (
        "sessions:write",
        lambda c: {k: v for k, v in c.new().items() if k != "child_id"},
        ({"duration_minutes": -1}, "#/duration_minutes"),
    ),
}
NAMES = sorted(COLLECTIONS)


def nested(collection: str, child_id: str) -> str:
    return f"/v1/children/{child_id}/{collection}"


def body_of(collection: str, clinic: Clinic, **fields: Any) -> dict[str, Any]:
    return {**COLLECTIONS[collection][1](clinic), **fields}


async def child_rows(client: httpx.AsyncClient, clinic: Clinic, collection: str) -> list[str]:
    """Ids of the child's live rows of the collection, read through the nested list."""
    response = await client.get(nested(collection, clinic.child_id), headers=clinic.headers)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


@contextmanager
def _direct_statements(app: FastAPI) -> Iterator[list[str]]:
    """The direct statements run meanwhile (none when the app has no direct path)."""
    statements: list[str] = []
    direct = app.state.direct
    if direct is None:
        yield statements
        return
    original = direct.fetch

    async def counting(principal: Any, sql: str, args: Any) -> Any:
        statements.append(sql)
        return await original(principal, sql, args)

    direct.fetch = counting
    try:
        yield statements
    finally:
        del direct.fetch


@pytest.mark.parametrize("collection", NAMES)
class TestAuth:
    async def test_no_token_is_401(
        self, client: httpx.AsyncClient, clinic: Clinic, collection: str
    ) -> None:
        response = await client.post(
            nested(collection, clinic.child_id), json=body_of(collection, clinic)
        )
        assert response.status_code == 401

    async def test_wrong_scope_is_403(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, collection: str
    ) -> None:
        scope = COLLECTIONS[collection][0].replace(":write", ":read")
        headers = bearer(await mint_token(app, clinic.tenant, scopes=[scope]))
        before = await child_rows(client, clinic, collection)
        response = await client.post(
            nested(collection, clinic.child_id), json=body_of(collection, clinic), headers=headers
        )
        assert response.status_code == 403
        assert await child_rows(client, clinic, collection) == before


@pytest.mark.parametrize("collection", NAMES)
@pytest.mark.usefixtures("serving_path")
class TestAnotherClinicsChild:
    async def test_another_clinics_or_a_deleted_child_is_404_like_none(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        collection: str,
    ) -> None:
        gone = await seed_child(app, clinic.tenant, given_name="Gone")
        deleted = await client.delete(
            f"/v1/children/{gone.id}", headers={**clinic.headers, "If-Match": '"1"'}
        )
        assert deleted.status_code == 204
        their_list = nested(collection, other.child_id)
        theirs = (await client.get(their_list, headers=other.headers)).json()
        body = body_of(collection, clinic)
        for headers in (clinic.headers, {**clinic.headers, "Idempotency-Key": "k-404"}):
            answers = [
                await client.post(nested(collection, child), json=body, headers=headers)
                for child in (str(uuid.uuid4()), other.child_id, str(gone.id))
            ]
            assert [a.status_code for a in answers] == [404, 404, 404]
            assert len({a.json()["detail"] for a in answers}) == 1
            assert len({a.json()["code"] for a in answers}) == 1
        after = await client.get(their_list, headers=other.headers)
        assert after.json()["data"] == theirs["data"]


@pytest.mark.parametrize("collection", NAMES)
class TestBadInput:
    async def test_the_top_level_rules_apply(
        self, client: httpx.AsyncClient, clinic: Clinic, collection: str
    ) -> None:
        wrong, pointer = COLLECTIONS[collection][2]
        url = nested(collection, clinic.child_id)
        before = await child_rows(client, clinic, collection)
        response = await client.post(
            url, json=body_of(collection, clinic, **wrong), headers=clinic.headers
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert pointer in [e["pointer"] for e in response.json()["errors"]]
        unknown = await client.post(
            url, json=body_of(collection, clinic, surprise=1), headers=clinic.headers
        )
        assert unknown.status_code == 422
        assert await child_rows(client, clinic, collection) == before

    async def test_a_body_naming_another_child_is_422(
        self, client: httpx.AsyncClient, clinic: Clinic, collection: str
    ) -> None:
        body = body_of(collection, clinic, child_id=clinic.sibling_id)
        before = await child_rows(client, clinic, collection)
        response = await client.post(
            nested(collection, clinic.child_id), json=body, headers=clinic.headers
        )
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert (error["pointer"], error["code"]) == ("#/child_id", "child_id_mismatch")
        assert await child_rows(client, clinic, collection) == before


@pytest.mark.parametrize("collection", NAMES)
@pytest.mark.usefixtures("serving_path")
class TestSuccess:
    async def test_created_for_the_path_child_as_the_top_level_post_does(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, collection: str
    ) -> None:
        url = nested(collection, clinic.child_id)
        before = await child_rows(client, clinic, collection)
        with _direct_statements(app) as statements:
            response = await client.post(
                url, json=body_of(collection, clinic), headers=clinic.headers
            )
        assert response.status_code == 201, response.text
        row = response.json()
        assert row["child_id"] == clinic.child_id
        assert response.headers["location"] == f"/v1/{collection}/{row['id']}"
        assert response.headers["etag"] == '"1"'
        read = await client.get(response.headers["location"], headers=clinic.headers)
        assert read.json() == row
        assert set(await child_rows(client, clinic, collection)) == {*before, row["id"]}
        # The same path selection as the top-level POST: one direct statement where it has one.
        direct = collection == "session-records" and app.state.direct is not None
        assert len(statements) == (1 if direct else 0)
        # A body naming the path's own child is accepted.
        same = await client.post(
            url,
            json=body_of(collection, clinic, child_id=clinic.child_id),
            headers=clinic.headers,
        )
        assert same.status_code == 201, same.text

    async def test_audited_as_a_create_of_the_child(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, collection: str
    ) -> None:
        response = await client.post(
            nested(collection, clinic.child_id),
            json=body_of(collection, clinic),
            headers=clinic.headers,
        )
        assert response.status_code == 201
        headers = bearer(await mint_token(app, clinic.tenant, scopes=["audit:read"]))
        events = await client.get(
            "/v1/audit-events",
            params={"action": "create", "resource_id": response.json()["id"]},
            headers=headers,
        )
        [event] = events.json()["data"]
        assert event["child_id"] == clinic.child_id
        assert event["outcome"] == 201


@pytest.mark.parametrize("collection", NAMES)
class TestIdempotentReplay:
    async def test_replay_and_one_key_across_both_posts(
        self, client: httpx.AsyncClient, clinic: Clinic, collection: str
    ) -> None:
        headers = {**clinic.headers, "Idempotency-Key": f"nested-{collection}"}
        url = nested(collection, clinic.child_id)
        body = body_of(collection, clinic)
        before = await child_rows(client, clinic, collection)
        first = await client.post(url, json=body, headers=headers)
        second = await client.post(url, json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.headers["idempotent-replayed"] == "true"
        assert second.json() == first.json()
        assert second.headers["location"] == first.headers["location"]
        # The same creation through the top-level POST is the same request: replayed.
        top = await client.post(
            f"/v1/{collection}", json={**body, "child_id": clinic.child_id}, headers=headers
        )
        assert top.status_code == 201
        assert top.headers["idempotent-replayed"] == "true"
        assert top.json() == first.json()
        # Another child with the same key is another request.
        sibling = await client.post(
            nested(collection, clinic.sibling_id), json=body, headers=headers
        )
        assert sibling.status_code == 422
        assert sibling.json()["errors"][0]["code"] == "idempotency_key_reused"
        assert set(await child_rows(client, clinic, collection)) == {*before, first.json()["id"]}
