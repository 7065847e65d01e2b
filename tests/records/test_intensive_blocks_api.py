"""Intensive blocks: the plan on a prescription, the block summary, and the block in the
progress report."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.insights import make_clinic, make_program
from tests.support.tenants import TenantClient

PLAN = {"days": 5, "sessions_per_day": 2, "minutes_per_session": 45}


@pytest.fixture
async def clinic(app: FastAPI, tenant_a: TenantClient, headers_for: Headers) -> Clinic:
    return await make_clinic(app, tenant_a, headers_for)


@pytest.fixture
async def other(app: FastAPI, tenant_b: TenantClient, headers_for: Headers) -> Clinic:
    return await make_clinic(app, tenant_b, headers_for)


async def block(client: httpx.AsyncClient, clinic: Clinic, **fields: Any) -> dict[str, Any]:
    return await make_program(
        client,
        clinic,
        setting="intensive",
        period_start="2025-03-03",
        period_end="2025-03-07",
        block=PLAN,
        **fields,
    )


async def session(client: httpx.AsyncClient, clinic: Clinic, at: str, **more: Any) -> None:
    done = {"exercise_id": clinic.exercise_ids[0], "repetitions": 10}
    fields = {"type": "dmi", "setting": "clinic", "duration_minutes": 45, **more}
    await clinic.session(client, at, [done], practitioner_id=clinic.practitioner_id, **fields)


async def gmfm(client: httpx.AsyncClient, clinic: Clinic, on: str, score: int) -> None:
    items = {str(n): score for n in range(1, 89)}
    await clinic.post(
        client,
        "/v1/assessments",
        child_id=clinic.child_id,
        instrument="gmfm88",
        status="final",
        performed_on=on,
        items=items,
    )


def url(row: dict[str, Any]) -> str:
    return f"/v1/prescriptions/{row['id']}/block-summary"


class TestBlockPlan:
    async def test_a_plan_is_kept_on_an_intensive_prescription(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await block(client, clinic)
        assert row["block"] == PLAN

    async def test_a_plan_needs_the_intensive_setting(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        body = {
            "child_id": clinic.child_id,
            "prescriber_id": clinic.practitioner_id,
            "setting": "home",
            "period_start": "2025-03-03",
            "block": PLAN,
            "items": [{"exercise_id": clinic.exercise_ids[0], "repetitions": 5}],
        }
        refused = await client.post("/v1/prescriptions", json=body, headers=clinic.headers)
        assert refused.status_code == 422
        [problem] = refused.json()["errors"]
        assert (problem["pointer"], problem["code"]) == ("#/block", "block_needs_intensive")
        # Nor can an intensive block with a plan move to another setting.
        row = await block(client, clinic)
        moved = await client.patch(
            f"/v1/prescriptions/{row['id']}",
            json={"setting": "clinic"},
            headers={**clinic.headers, "If-Match": f'"{row["version"]}"'},
        )
        assert moved.status_code == 422
        assert moved.json()["errors"][0]["pointer"] == "#/setting"
        for bad in ({"days": 0}, {**PLAN, "minutes_per_session": 1}, {**PLAN, "extra": 1}):
            response = await client.post(
                "/v1/prescriptions",
                json={**body, "setting": "intensive", "block": bad},
                headers=clinic.headers,
            )
            assert response.status_code == 422, bad


class TestBlockSummary:
    async def test_access(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        headers_for: Headers,
    ) -> None:
        row = await block(client, clinic)
        assert (await client.get(url(row))).status_code == 401
        partial = await headers_for(clinic.tenant, "prescriptions:read", "sessions:read")
        assert (await client.get(url(row), headers=partial)).status_code == 403
        theirs = await client.get(url(row), headers=other.headers)
        missing = await client.get(url({"id": uuid.uuid4()}), headers=clinic.headers)
        assert theirs.status_code == missing.status_code == 404
        assert (
            await client.get("/v1/prescriptions/7/block-summary", headers=clinic.headers)
        ).status_code == 422

    async def test_only_an_intensive_prescription_is_a_block(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        home = await make_program(client, clinic)
        response = await client.get(url(home), headers=clinic.headers)
        assert response.status_code == 409
        assert response.json()["code"] == "not_an_intensive_block"

    async def test_delivered_adherence_and_the_gmfm_change(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await block(client, clinic)
        await gmfm(client, clinic, "2025-03-03", 1)
        for day in ("03", "04", "05", "06"):
            await session(client, clinic, f"2025-03-{day}T09:00:00Z")
            await session(client, clinic, f"2025-03-{day}T14:00:00Z")
        await session(client, clinic, "2025-03-07T09:00:00Z", attendance="no_show")
        await session(client, clinic, "2025-03-07T10:00:00Z", type="home_practice")
        await session(client, clinic, "2025-03-08T09:00:00Z")  # after the block
        await gmfm(client, clinic, "2025-03-10", 2)
        response = await client.get(url(row), headers=clinic.headers)
        assert response.status_code == 200, response.text
        summary = response.json()
        assert summary["prescription_id"] == row["id"]
        assert (summary["first_day"], summary["last_day"]) == ("2025-03-03", "2025-03-07")
        assert summary["completed"] is True
        assert summary["planned"] == {"days": 5, "sessions": 10, "minutes": 450}
        assert summary["delivered"] == {
            "days": 4,
            "sessions": 8,
            "minutes": 360,
            "repetitions": 80,
        }
        assert summary["adherence"] == {
            "days_percent": 80.0,
            "sessions_percent": 80.0,
            "minutes_percent": 80.0,
        }
        gmfm88 = summary["gmfm88"]
        assert (gmfm88["before"]["total_percent"], gmfm88["after"]["total_percent"]) == (
            33.33,
            66.67,
        )
        assert gmfm88["change"] == 33.34
        assert summary["rule"] == "intensive-block@2"

    async def test_the_progress_report_carries_the_same_block(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await block(client, clinic)
        await gmfm(client, clinic, "2025-03-01", 1)
        await session(client, clinic, "2025-03-04T09:00:00Z")
        await gmfm(client, clinic, "2025-03-20", 2)
        own = (await client.get(url(row), headers=clinic.headers)).json()
        # A report of April only: the block ran in March, so it is not in it...
        april = await client.get(
            f"/v1/children/{clinic.child_id}/progress",
            params={"from": "2025-04-01", "to": "2025-05-01"},
            headers=clinic.headers,
        )
        assert april.json()["intensive_blocks"] == []
        # ... a report of March shows it, completed, counted over its own days and follow-up.
        march = await client.get(
            f"/v1/children/{clinic.child_id}/progress",
            params={"from": "2025-03-05", "to": "2025-04-01"},
            headers=clinic.headers,
        )
        assert march.status_code == 200, march.text
        assert march.json()["intensive_blocks"] == [own]
        assert own["delivered"]["sessions"] == 1
        assert own["gmfm88"]["change"] == 33.34

    async def test_repetitions_delivered_are_counted_as_adherence_counts_them(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # One block session of the prescribed exercise, recorded as 3 sets of 10 repetitions,
        # and one recorded without counts (one repetition). Adherence counts (sets or 1) x
        # (repetitions or 1) = 30 + 1 = 31 repetitions; the block's delivered dose is
        # "counted as adherence counts it" (docs/clinical-rules.md), so 31 too (was 10 + 0).
        row = await block(client, clinic)
        exercise = clinic.exercise_ids[0]
        fields = {"type": "dmi", "setting": "clinic", "duration_minutes": 45}
        await clinic.session(
            client,
            "2025-03-04T09:00:00Z",
            [{"exercise_id": exercise, "sets": 3, "repetitions": 10}],
            practitioner_id=clinic.practitioner_id,
            **fields,
        )
        await clinic.session(
            client,
            "2025-03-05T09:00:00Z",
            [{"exercise_id": exercise}],
            practitioner_id=clinic.practitioner_id,
            **fields,
        )
        summary = (await client.get(url(row), headers=clinic.headers)).json()
        adherence = (
            await client.get(f"/v1/prescriptions/{row['id']}/adherence", headers=clinic.headers)
        ).json()
        assert adherence["overall"]["delivered"]["repetitions"] == 31
        assert summary["delivered"]["repetitions"] == 31
