"""DMI support-point progression: its own endpoint, the clinic's thresholds, and the same
figures in the progress report."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.insights import make_clinic
from tests.support.tenants import TenantClient


@pytest.fixture
async def clinic(app: FastAPI, tenant_a: TenantClient, headers_for: Headers) -> Clinic:
    return await make_clinic(app, tenant_a, headers_for)


@pytest.fixture
async def other(app: FastAPI, tenant_b: TenantClient, headers_for: Headers) -> Clinic:
    return await make_clinic(app, tenant_b, headers_for)


def url(clinic: Clinic) -> str:
    return f"/v1/children/{clinic.child_id}/support-progression"


async def hold(
    client: httpx.AsyncClient, clinic: Clinic, day: str, point: str, response: str, **more: Any
) -> None:
    done = {"exercise_id": clinic.exercise_ids[0], "support_point": point, "response": response}
    await clinic.session(
        client,
        f"{day}T10:00:00Z",
        [done],
        type="dmi",
        setting="clinic",
        practitioner_id=clinic.practitioner_id,
        **more,
    )


async def trunk_then_pelvis(client: httpx.AsyncClient, clinic: Clinic) -> None:
    await hold(client, clinic, "2025-03-03", "trunk", "full")
    await hold(client, clinic, "2025-03-10", "pelvis", "partial")
    await hold(client, clinic, "2025-03-17", "pelvis", "full")
    await hold(client, clinic, "2025-03-24", "pelvis", "full")
    # Not attended: its hold is not a use.
    await hold(client, clinic, "2025-03-25", "knees", "full", attendance="cancelled")


class TestSupportProgression:
    async def test_access(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic, headers_for: Headers
    ) -> None:
        assert (await client.get(url(clinic))).status_code == 401
        partial = await headers_for(clinic.tenant, "children:read")
        assert (await client.get(url(clinic), headers=partial)).status_code == 403
        theirs = await client.get(url(clinic), headers=other.headers)
        missing = await client.get(
            f"/v1/children/{uuid.uuid4()}/support-progression", headers=other.headers
        )
        assert theirs.status_code == missing.status_code == 404
        assert theirs.headers["content-type"] == "application/problem+json"

    async def test_bad_input(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        for params in ({"from": "2025-13-01"}, {"from": "2025-03-10", "to": "2025-03-01"}):
            response = await client.get(url(clinic), params=params, headers=clinic.headers)
            assert response.status_code == 422, params
            assert response.headers["content-type"] == "application/problem+json"

    async def test_moves_runs_and_readiness(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        await trunk_then_pelvis(client, clinic)
        response = await client.get(url(clinic), headers=clinic.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        [exercise] = body["exercises"]
        assert exercise["code"] == "SIT-1"
        assert exercise["category"] == "sitting"
        assert [u["support_point"] for u in exercise["uses"]] == [
            "trunk",
            "pelvis",
            "pelvis",
            "pelvis",
        ]
        assert exercise["current_support_point"] == "pelvis"
        assert exercise["next_support_point"] == "thighs"
        assert exercise["sessions_at_current"] == 3
        assert exercise["full_response_percent_at_current"] == 66.67  # 2 of 3, half up
        assert exercise["moves"] == [
            {
                "on": "2025-03-10",
                "from_support_point": "trunk",
                "to_support_point": "pelvis",
                "direction": "down",
            }
        ]
        assert exercise["ready_to_progress"] is False  # 66.67 % < 80 %
        assert exercise["rule"] == "support-progression@2"
        assert body["categories"] == [
            {
                "category": "sitting",
                "exercises": 1,
                "most_proximal_support_point": "pelvis",
                "most_distal_support_point": "pelvis",
                "ready_to_progress": 0,
            }
        ]
        # The period is honoured: before the move, the trunk is current.
        early = await client.get(url(clinic), params={"to": "2025-03-04"}, headers=clinic.headers)
        [before] = early.json()["exercises"]
        assert (before["current_support_point"], before["moves"]) == ("trunk", [])

    async def test_the_clinics_thresholds_decide(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        await trunk_then_pelvis(client, clinic)
        settings = await client.get("/v1/clinic-settings", headers=clinic.headers)
        put = await client.put(
            "/v1/clinic-settings",
            json={"progress_after_sessions": 2, "progress_full_percent": 100},
            headers={**clinic.headers, "If-Match": settings.headers["etag"]},
        )
        assert put.status_code == 200, put.text
        body = (await client.get(url(clinic), headers=clinic.headers)).json()
        [exercise] = body["exercises"]
        # The last 2 sessions at the pelvis were both full: ready now.
        assert exercise["ready_to_progress"] is True
        assert body["categories"][0]["ready_to_progress"] == 1

    async def test_the_progress_report_shows_the_same(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        await trunk_then_pelvis(client, clinic)
        params = {"from": "2025-03-01", "to": "2025-04-01"}
        own = (await client.get(url(clinic), params=params, headers=clinic.headers)).json()
        report = await client.get(
            f"/v1/children/{clinic.child_id}/progress", params=params, headers=clinic.headers
        )
        assert report.status_code == 200, report.text
        assert report.json()["support_points"] == own["exercises"]
        assert report.json()["support_point_categories"] == own["categories"]

    async def test_a_session_that_skipped_the_exercise_is_not_a_session_at_the_hold(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # Two full sessions at the pelvis, then one that records the hold but 0 repetitions
        # (the exercise was skipped: adherence counts it as no occasion): 2 sessions at the
        # pelvis, not the 3 that readiness needs; 0 sets is the same.
        await hold(client, clinic, "2025-03-03", "pelvis", "full")
        await hold(client, clinic, "2025-03-10", "pelvis", "full")
        skipped = {"exercise_id": clinic.exercise_ids[0], "support_point": "pelvis"}
        for day, counts in (("2025-03-17", {"repetitions": 0}), ("2025-03-18", {"sets": 0})):
            await clinic.session(
                client,
                f"{day}T10:00:00Z",
                [{**skipped, **counts}],
                type="dmi",
                setting="clinic",
                practitioner_id=clinic.practitioner_id,
            )
        params = {"from": "2025-03-01", "to": "2025-04-01"}
        body = (await client.get(url(clinic), params=params, headers=clinic.headers)).json()
        [exercise] = body["exercises"]
        assert [u["on"] for u in exercise["uses"]] == ["2025-03-03", "2025-03-10"]
        assert exercise["sessions_at_current"] == 2
        assert exercise["full_response_percent_at_current"] == 100.0
        assert exercise["ready_to_progress"] is False
        assert exercise["rule"] == "support-progression@2"
        report = await client.get(
            f"/v1/children/{clinic.child_id}/progress", params=params, headers=clinic.headers
        )
        assert report.json()["support_points"] == body["exercises"]
