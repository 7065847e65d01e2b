"""`POST /v1/session-records/batch`: each item validated, committed or refused on its own, with
its own `Idempotency-Key`; a retried batch creates nothing twice; refusals point into the batch
and are audited like the single POST's."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.tenants import TenantClient, add_client, bearer, mint_token

URL = "/v1/session-records/batch"


def home_log(clinic: Clinic, day: int, **fields: Any) -> dict[str, Any]:
    """A caregiver's offline log, with the phone's own UTC offset."""
    return {
        "child_id": clinic.child_id,
        "type": "home_practice",
        "setting": "home",
        "started_at": f"2026-03-{day:02d}T17:30:00-05:00",
        "duration_minutes": 20,
        **fields,
    }


def batch(*records: dict[str, Any], keys: list[str] | None = None) -> dict[str, Any]:
    names = keys or [f"tablet-{uuid.uuid4().hex}" for _ in records]
    return {
        "items": [
            {"idempotency_key": key, "record": record}
            for key, record in zip(names, records, strict=True)
        ]
    }


async def count(client: httpx.AsyncClient, clinic: Clinic) -> int:
    response = await client.get(
        f"/v1/children/{clinic.child_id}/session-records",
        params={"limit": 200},
        headers=clinic.headers,
    )
    assert response.status_code == 200, response.text
    return len(response.json()["data"])


class TestBatch:
    async def test_access(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        body = batch(home_log(clinic, 2))
        assert (await client.post(URL, json=body)).status_code == 401
        reader = await headers_for(clinic.tenant, "sessions:read")
        assert (await client.post(URL, json=body, headers=reader)).status_code == 403
        assert await count(client, clinic) == 0

    async def test_bad_batches_are_refused_whole(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        too_many = batch(*[home_log(clinic, 2)] * 101)
        no_key = {"items": [{"record": home_log(clinic, 2)}]}
        bodies: list[dict[str, Any]] = [too_many, no_key, {"items": []}, {"items": "x"}]
        for body in bodies:
            response = await client.post(URL, json=body, headers=clinic.headers)
            assert response.status_code == 422
            assert response.headers["content-type"] == "application/problem+json"
        assert await count(client, clinic) == 0

    async def test_each_item_on_its_own_with_pointers_into_the_batch(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        tenant_a: TenantClient,
    ) -> None:
        request_id = f"batch-{uuid.uuid4().hex}"
        body = batch(
            home_log(clinic, 2),
            home_log(clinic, 3, child_id=other.child_id),  # another clinic's child
            {**home_log(clinic, 4), "type": "teleportation"},
            home_log(clinic, 5, duration_minutes=35),
        )
        response = await client.post(
            URL, json=body, headers={**clinic.headers, "X-Request-ID": request_id}
        )
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [(r["index"], r["status"]) for r in results] == [
            (0, 201),
            (1, 422),
            (2, 422),
            (3, 201),
        ]
        created = results[0]["record"]
        # The client's own instant is kept (as UTC, its offset kept for the local date).
        assert created["started_at"] == "2026-03-02T22:30:00Z"
        assert results[0]["id"] == created["id"]
        assert results[0]["replayed"] is False
        [probe] = results[1]["problem"]["errors"]
        assert (probe["pointer"], probe["code"]) == (
            "#/items/1/record/child_id",
            "reference_not_found",
        )
        assert other.child_id not in response.text
        assert results[2]["problem"]["errors"][0]["pointer"] == "#/items/2/record/type"
        assert await count(client, clinic) == 2
        # The probe is in the clinic's audit trail, pointing into the batch.
        auditor = await add_client(app, tenant_a, scopes=["audit:read"])
        events = await client.get(
            "/v1/audit-events",
            params={"reference_id": other.child_id},
            headers=bearer(await mint_token(app, auditor)),
        )
        [event] = [e for e in events.json()["data"] if e["request_id"] == request_id]
        assert (event["action"], event["outcome"]) == ("create", 422)
        assert event["reference_field"] == "#/items/1/record/child_id"

    async def test_a_retried_batch_creates_nothing_twice(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        keys = ["log-1", "log-2", "log-3"]
        body = batch(home_log(clinic, 2), home_log(clinic, 3), home_log(clinic, 4), keys=keys)
        first = (await client.post(URL, json=body, headers=clinic.headers)).json()["results"]
        again = (await client.post(URL, json=body, headers=clinic.headers)).json()["results"]
        assert [r["status"] for r in again] == [201, 201, 201]
        assert [r["replayed"] for r in again] == [True, True, True]
        assert [r["id"] for r in again] == [r["id"] for r in first]
        assert await count(client, clinic) == 3
        # The same key with another body is refused, as a single POST would be.
        changed = batch(home_log(clinic, 9), keys=["log-1"])
        [reused] = (await client.post(URL, json=changed, headers=clinic.headers)).json()["results"]
        assert reused["status"] == 422
        assert reused["problem"]["code"] == "validation_error"
        [error] = reused["problem"]["errors"]
        assert error["code"] == "idempotency_key_reused"
        # The item's key, where the batch has it (not a header of a record).
        assert (error["pointer"], error["location"]) == ("#/items/0/idempotency_key", "body")
        assert await count(client, clinic) == 3

    async def test_a_key_sent_alone_first_is_replayed_in_a_batch(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        log = home_log(clinic, 6)
        single = await client.post(
            "/v1/session-records",
            json=log,
            headers={**clinic.headers, "Idempotency-Key": "phone-42"},
        )
        assert single.status_code == 201, single.text
        [result] = (
            await client.post(URL, json=batch(log, keys=["phone-42"]), headers=clinic.headers)
        ).json()["results"]
        assert result["replayed"] is True
        assert result["id"] == single.json()["id"]
        assert await count(client, clinic) == 1


@pytest.fixture(autouse=True)
def _paths(serving_path: str) -> str:
    """Both implementations of the stores serve the batch (keys take the session path)."""
    return serving_path
