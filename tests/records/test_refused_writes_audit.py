"""Refused writes leave an audit event like denials do: a body naming another clinic's (or no)
row, a stale `If-Match`, a conflict, a reused `Idempotency-Key`. The probing clinic's trail names
the id each field tried; nothing of the body besides."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.tenants import TenantClient, add_client, bearer, mint_token


@pytest.fixture
async def trail(app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient) -> Any:
    """`await trail(request_id)`: clinic A's audit events of one request."""
    auditor = await add_client(app, tenant_a, scopes=["audit:read"])

    async def events(request_id: str, **params: str) -> list[dict[str, Any]]:
        response = await client.get(
            "/v1/audit-events", params=params, headers=bearer(await mint_token(app, auditor))
        )
        assert response.status_code == 200, response.text
        return [e for e in response.json()["data"] if e["request_id"] == request_id]

    return events


def _tagged(headers: dict[str, str]) -> tuple[dict[str, str], str]:
    request_id = f"refused-{uuid.uuid4().hex}"
    return {**headers, "X-Request-ID": request_id}, request_id


class TestReferenceToAnotherClinicsRow:
    async def test_a_session_record_naming_another_clinics_rows(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        trail: Any,
        serving_path: str,
    ) -> None:
        sent = {
            "#/child_id": other.child_id,
            "#/practitioner_id": other.practitioner_id,
            "#/exercises/0/exercise_id": other.exercise_ids[0],
        }
        events = []
        for body in (
            clinic.new(child_id=other.child_id, practitioner_id=other.practitioner_id),
            clinic.new(exercises=[{"exercise_id": other.exercise_ids[0]}]),
        ):
            headers, request_id = _tagged(clinic.headers)
            response = await client.post("/v1/session-records", json=body, headers=headers)
            assert response.status_code == 422
            events += await trail(request_id)
        tried = {e["reference_field"]: e["reference_id"] for e in events}
        assert tried == sent
        for event in events:
            assert (event["action"], event["outcome"]) == ("create", 422)
            assert event["resource_type"] == "session-records"
            assert event["clinic_id"] == str(clinic.tenant.clinic_id)
            assert event["client_id"] == str(clinic.tenant.client_id)
            assert event["child_id"] is None  # the foreign id is named, not filed as ours

    async def test_an_assessment_for_no_child_and_the_filter_finds_it(
        self, client: httpx.AsyncClient, clinic: Clinic, trail: Any, app: FastAPI
    ) -> None:
        headers, request_id = _tagged(clinic.headers)
        nobody = str(uuid.uuid4())
        body = {
            "child_id": nobody,
            "instrument": "gmfcs",
            "performed_on": "2026-01-15",
            "status": "final",
            "items": {"level": 2},
        }
        response = await client.post("/v1/assessments", json=body, headers=headers)
        assert response.status_code == 422, response.text
        [event] = await trail(request_id)
        assert (event["reference_field"], event["reference_id"]) == ("#/child_id", nobody)
        assert (event["action"], event["outcome"]) == ("create", 422)
        assert await trail(request_id, reference_id=nobody) == [event]
        assert await trail(request_id, reference_id=str(uuid.uuid4())) == []

    async def test_a_plain_validation_error_is_not_a_probe(
        self, client: httpx.AsyncClient, clinic: Clinic, trail: Any
    ) -> None:
        headers, request_id = _tagged(clinic.headers)
        response = await client.post(
            "/v1/session-records", json=clinic.new(duration_minutes=-5), headers=headers
        )
        assert response.status_code == 422
        assert await trail(request_id) == []


class TestStaleIfMatch:
    async def test_a_412_is_recorded_as_a_refused_update(
        self, client: httpx.AsyncClient, clinic: Clinic, trail: Any, serving_path: str
    ) -> None:
        url = f"/v1/children/{clinic.child_id}"
        headers, request_id = _tagged({**clinic.headers, "If-Match": '"999"'})
        response = await client.patch(url, json={"given_name": "Ana"}, headers=headers)
        assert response.status_code == 412
        [event] = await trail(request_id)
        assert (event["action"], event["outcome"]) == ("update", 412)
        assert event["resource_id"] == clinic.child_id
        assert event["reference_field"] is None


class TestConflicts:
    async def test_a_taken_external_id_is_recorded(
        self, client: httpx.AsyncClient, clinic: Clinic, trail: Any
    ) -> None:
        body = {
            "given_name": "Ana",
            "family_name": "Ruiz",
            "birth_date": "2025-03-01",
            "sex": "female",
        }
        first = await client.post(
            "/v1/children", json={**body, "external_id": "mrn-1"}, headers=clinic.headers
        )
        assert first.status_code == 201, first.text
        headers, request_id = _tagged(clinic.headers)
        again = await client.post(
            "/v1/children", json={**body, "external_id": "mrn-1"}, headers=headers
        )
        assert again.status_code == 409
        [event] = await trail(request_id)
        assert (event["action"], event["outcome"]) == ("create", 409)

    async def test_a_reused_idempotency_key_is_recorded(
        self, client: httpx.AsyncClient, clinic: Clinic, trail: Any, headers_for: Headers
    ) -> None:
        key = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}
        body = {
            "given_name": "Ana",
            "family_name": "Ruiz",
            "birth_date": "2025-03-01",
            "sex": "female",
        }
        first = await client.post("/v1/children", json=body, headers={**clinic.headers, **key})
        assert first.status_code == 201
        headers, request_id = _tagged({**clinic.headers, **key})
        reused = await client.post(
            "/v1/children", json={**body, "given_name": "Eva"}, headers=headers
        )
        assert reused.status_code == 422
        [event] = await trail(request_id)
        assert (event["action"], event["outcome"]) == ("create", 422)
        assert event["reference_field"] == "#/Idempotency-Key"
        assert event["reference_id"] is None
