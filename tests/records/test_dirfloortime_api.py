"""DIRFloortime: a child's daily Floortime target, FEDC levels as assessments, and the
`dirfloortime` section of the progress report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.tenants import TenantClient

CHILD = {"given_name": "Ana", "family_name": "Ruiz", "birth_date": "2023-05-10", "sex": "female"}
TARGET = {"sessions_per_day": 2, "minutes_per_session": 25}


@pytest.fixture
async def headers(tenant_a: TenantClient, headers_for: Headers) -> dict[str, str]:
    return await headers_for(tenant_a)


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(url, json=body, headers=headers)


class TestFloortimeTarget:
    async def test_kept_changed_and_removed(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        created = await post(client, headers, "/v1/children", {**CHILD, "floortime_target": TARGET})
        assert created.status_code == 201, created.text
        child = created.json()
        assert child["floortime_target"] == TARGET
        got = await client.get(f"/v1/children/{child['id']}", headers=headers)
        assert got.json()["floortime_target"] == TARGET
        patched = await client.patch(
            f"/v1/children/{child['id']}",
            json={"floortime_target": {"sessions_per_day": 3}},
            headers={**headers, "If-Match": got.headers["etag"]},
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["floortime_target"] == {
            "sessions_per_day": 3,
            "minutes_per_session": 20,
        }
        removed = await client.patch(
            f"/v1/children/{child['id']}",
            json={"floortime_target": None},
            headers={**headers, "If-Match": patched.headers["etag"]},
        )
        assert removed.json()["floortime_target"] is None
        listed = await client.get("/v1/children", headers=headers)
        assert listed.json()["data"][0]["floortime_target"] is None

    async def test_bad_targets_are_refused(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        for bad in ({"sessions_per_day": 0}, {"sessions_per_day": 1, "minutes_per_session": 5}, {}):
            response = await post(
                client, headers, "/v1/children", {**CHILD, "floortime_target": bad}
            )
            assert response.status_code == 422, bad
            assert response.json()["errors"][0]["pointer"].startswith("#/floortime_target")


class TestFedcAndTheReport:
    async def test_levels_weeks_and_coaching(
        self, app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        created = await post(client, headers, "/v1/children", {**CHILD, "floortime_target": TARGET})
        child_id = created.json()["id"]
        fedc = {"child_id": child_id, "instrument": "fedc", "status": "final"}
        missing = await post(
            client, headers, "/v1/assessments", {**fedc, "performed_on": "2026-03-02"}
        )
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["pointer"] == "#/entered/level"
        for on, level in (("2026-03-02", 2), ("2026-03-16", 3)):
            body = {**fedc, "performed_on": on, "entered": {"level": level}}
            response = await post(client, headers, "/v1/assessments", body)
            assert response.status_code == 201, response.text
        assert response.json()["scores"] == {
            "rule": "fedc@greenspan-wieder",
            "level": 3,
            "capacity": "two-way intentional communication",
            "advanced": False,
        }
        for day, kind, minutes in (
            ("2026-03-03", "home_practice", 30),
            ("2026-03-04", "home_practice", 20),
            ("2026-03-10", "parent_coaching", 60),
        ):
            body = {
                "child_id": child_id,
                "type": kind,
                "setting": "home",
                "started_at": f"{day}T17:00:00Z",
                "duration_minutes": minutes,
            }
            if kind == "parent_coaching":
                body["practitioner_id"] = await _practitioner(client, headers)
            response = await post(client, headers, "/v1/session-records", body)
            assert response.status_code == 201, response.text
        report = await client.get(
            f"/v1/children/{child_id}/progress",
            params={"from": "2026-03-02", "to": "2026-03-16"},
            headers=headers,
        )
        assert report.status_code == 200, report.text
        section = report.json()["dirfloortime"]
        assert [(p["performed_on"], p["level"]) for p in section["fedc_levels"]] == [
            ("2026-03-02", 2)
        ]
        assert section["daily_target_minutes"] == 50
        assert [
            (w["week_from"], w["minutes"], w["target_minutes"], w["percent"])
            for w in section["weeks"]
        ] == [
            ("2026-03-02", 50, 350, 14.29),
            ("2026-03-09", 0, 350, 0.0),
        ]
        assert section["parent_coaching"] == [{"month": "2026-03", "sessions": 1}]
        assert section["rule"] == "dirfloortime@2"
        fedc_score = next(i for i in report.json()["instruments"] if i["instrument"] == "fedc")
        assert fedc_score["latest"]["value"] == 2

    async def test_weeks_stop_at_today(
        self, client: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        # Target 2 x 25 = 50 minutes a day. 50 minutes of play on each day from this week's
        # Monday to today (k days): k x 50 of k x 50 = 100 %. Asked two weeks ahead, the days
        # to come were not due yet: this week's target is not 7 x 50 = 350 (50k/350 %), and
        # the weeks ahead (0 of 350, 0 %) are not listed.
        created = await post(client, headers, "/v1/children", {**CHILD, "floortime_target": TARGET})
        child_id = created.json()["id"]
        today = datetime.now(UTC).date()
        monday = today - timedelta(days=today.weekday())
        days = (today - monday).days + 1
        for n in range(days):
            body = {
                "child_id": child_id,
                "type": "home_practice",
                "setting": "home",
                "started_at": f"{(monday + timedelta(days=n)).isoformat()}T00:00:00Z",
                "duration_minutes": 50,
            }
            response = await post(client, headers, "/v1/session-records", body)
            assert response.status_code == 201, response.text
        report = await client.get(
            f"/v1/children/{child_id}/progress",
            params={"from": monday.isoformat(), "to": (monday + timedelta(days=14)).isoformat()},
            headers=headers,
        )
        assert report.status_code == 200, report.text
        weeks = report.json()["dirfloortime"]["weeks"]
        assert [
            (w["week_from"], w["week_to"], w["days"], w["minutes"], w["target_minutes"])
            for w in weeks
        ] == [(monday.isoformat(), today.isoformat(), days, 50 * days, 50 * days)]
        assert weeks[0]["percent"] == 100.0


async def _practitioner(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    body = {"name": "Lena Ortiz", "discipline": "OT"}
    response = await client.post("/v1/practitioners", json=body, headers=headers)
    assert response.status_code == 201, response.text
    practitioner_id: str = response.json()["id"]
    return practitioner_id
