"""A change (`PATCH`, `DELETE`, a record's signing) resent after its answer was lost, as a
phone on a flaky network does: with the same `Idempotency-Key` the first answer is replayed
(status, `ETag`, body), never refused as stale (412) or gone (404), and never applied twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dmi_api.models.columns import utcnow
from dmi_api.services import idempotency
from tests.records.conftest import headers_maker
from tests.records.test_children import NEW
from tests.support.clinics import Clinic
from tests.support.sessions import create as create_record
from tests.support.sessions import make_clinic
from tests.support.tenants import make_tenant

CHILDREN = "/v1/children"
RECORDS = "/v1/session-records"


async def new_child(client: httpx.AsyncClient, clinic: Clinic) -> dict[str, Any]:
    body = {**NEW, "external_id": None}
    response = await client.post(CHILDREN, json=body, headers=clinic.headers)
    assert response.status_code == 201, response.text
    child: dict[str, Any] = response.json()
    return child


def keyed(clinic: Clinic, key: str, version: int) -> dict[str, str]:
    return {**clinic.headers, "Idempotency-Key": key, "If-Match": f'"{version}"'}


async def versions(client: httpx.AsyncClient, clinic: Clinic, path: str) -> list[int]:
    response = await client.get(f"{path}/versions", headers=clinic.headers)
    assert response.status_code == 200, response.text
    return [row["version"] for row in response.json()["data"]]


class TestPatch:
    async def test_a_resent_patch_replays_its_answer(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        child = await new_child(client, clinic)
        path = f"{CHILDREN}/{child['id']}"
        added = {"diagnoses": [*child["diagnoses"], {"code": "G80.9", "text": None}]}
        headers = keyed(clinic, "phone-7-change-1", 1)
        first = await client.patch(path, json=added, headers=headers)
        again = await client.patch(path, json=added, headers=headers)
        assert first.status_code == 200, first.text
        assert again.status_code == 200, again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["etag"] == first.headers["etag"] == '"2"'
        assert again.json() == first.json()
        assert await versions(client, clinic, path) == [1, 2]

    async def test_the_same_key_with_another_change_is_422(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        child = await new_child(client, clinic)
        path = f"{CHILDREN}/{child['id']}"
        headers = keyed(clinic, "phone-7-change-2", 1)
        assert (await client.patch(path, json={"status": "on_hold"}, headers=headers)).is_success
        other = await client.patch(path, json={"status": "discharged"}, headers=headers)
        assert other.status_code == 422, other.text
        assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
        merge = {**headers, "Content-Type": "application/merge-patch+json"}
        as_merge = await client.patch(path, content=b'{"status": "on_hold"}', headers=merge)
        assert as_merge.status_code == 422, as_merge.text
        assert (await client.get(path, headers=clinic.headers)).json()["status"] == "on_hold"

    async def test_a_refused_change_is_not_replayed(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        child = await new_child(client, clinic)
        path = f"{CHILDREN}/{child['id']}"
        stale = await client.patch(path, json={"status": "on_hold"}, headers=keyed(clinic, "k", 9))
        assert stale.status_code == 412
        fresh = await client.patch(path, json={"status": "on_hold"}, headers=keyed(clinic, "k", 1))
        assert fresh.status_code == 200, fresh.text
        assert "idempotent-replayed" not in fresh.headers

    async def test_a_resent_signing_replays_its_answer(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        record = await create_record(client, clinic)
        path = f"{RECORDS}/{record['id']}/sign"
        body = {"signed_by": clinic.practitioner_id}
        headers = keyed(clinic, "tablet-sign-1", 1)
        first = await client.post(path, json=body, headers=headers)
        again = await client.post(path, json=body, headers=headers)
        assert first.status_code == 200, first.text
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"


class TestDelete:
    async def test_a_resent_delete_replays_its_204(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        record = await create_record(client, clinic)
        path = f"{RECORDS}/{record['id']}"
        headers = keyed(clinic, "tablet-delete-1", 1)
        first = await client.delete(path, headers=headers)
        again = await client.delete(path, headers=headers)
        assert first.status_code == again.status_code == 204, again.text
        assert again.content == b""
        assert again.headers["idempotent-replayed"] == "true"
        # Without the key, the tombstone answers as before: no such record.
        unkeyed = await client.delete(path, headers={**clinic.headers, "If-Match": '"1"'})
        assert unkeyed.status_code == 404


class TestConflict:
    async def test_a_stale_edit_is_412_naming_the_current_version(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # Edited offline on version 1 while the clinic moved the record on to version 2: the
        # 412 names the version to merge with (its ETag), so the phone need not ask again.
        record = await create_record(client, clinic)
        path = f"{RECORDS}/{record['id']}"
        moved = await client.patch(
            path, json={"duration_minutes": 45}, headers=keyed(clinic, "a", 1)
        )
        assert moved.status_code == 200, moved.text
        for sent in ('"1"', 'W/"2"'):
            headers = {**clinic.headers, "If-Match": sent}
            stale = await client.patch(path, json={"duration_minutes": 40}, headers=headers)
            assert stale.status_code == 412, stale.text
            assert stale.headers["etag"] == moved.headers["etag"] == '"2"'
            assert stale.json()["current_version"] == 2
        gone = await client.delete(path, headers={**clinic.headers, "If-Match": '"1"'})
        assert (gone.status_code, gone.headers["etag"]) == (412, '"2"')


class TestExpiry:
    async def test_the_upkeep_forgets_a_key_past_its_lifetime_only(
        self, client: httpx.AsyncClient, clinic: Clinic, db_connection: AsyncConnection
    ) -> None:
        headers = {**clinic.headers, "Idempotency-Key": "tablet-log-88"}
        first = await client.post(RECORDS, json=clinic.new(), headers=headers)
        assert first.status_code == 201, first.text

        async def prune(hours: int) -> None:
            async with AsyncSession(bind=db_connection) as db:
                await idempotency.prune(db, utcnow() + timedelta(hours=hours))

        await prune(23)  # within the 24 hours: kept, replayed
        again = await client.post(RECORDS, json=clinic.new(), headers=headers)
        assert again.headers["idempotent-replayed"] == "true"
        await prune(25)  # past them: forgotten, with the answer it kept
        other = await client.post(RECORDS, json=clinic.new(duration_minutes=5), headers=headers)
        assert other.status_code == 201, other.text
        assert "idempotent-replayed" not in other.headers


@pytest.mark.postgres_only
async def test_one_change_sent_at_once_through_two_replicas_is_made_once(
    live_app: FastAPI, live_client: httpx.AsyncClient
) -> None:
    tenant = await make_tenant(live_app)
    clinic = await make_clinic(live_app, tenant, headers_maker(live_app))
    record = await create_record(live_client, clinic)
    path = f"{RECORDS}/{record['id']}"
    headers = keyed(clinic, f"race-{uuid.uuid4()}", 1)
    answers = await asyncio.gather(
        *(live_client.patch(path, json={"duration_minutes": 33}, headers=headers) for _ in range(6))
    )
    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    assert {a.headers["etag"] for a in answers if a.status_code == 200} == {'"2"'}
    assert await versions(live_client, clinic, path) == [1, 2]
