"""Warnings, not silence: accepted records returned with `warnings`, kept current when their
inputs change (the child's ages, the walking milestone, an earlier GMFM-88), and shown in the
progress report."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.records import seed_child
from tests.support.tenants import TenantClient


class Api:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], child_id: str):
        self.client, self.headers, self.child_id = client, headers, child_id

    async def post(self, url: str, **fields: Any) -> dict[str, Any]:
        response = await self.client.post(
            url, json={"child_id": self.child_id, **fields}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def get(self, url: str) -> dict[str, Any]:
        response = await self.client.get(url, headers=self.headers)
        assert response.status_code == 200, response.text
        got: dict[str, Any] = response.json()
        return got

    async def change(self, method: str, url: str, **fields: Any) -> httpx.Response:
        current = await self.get(url)
        headers = {**self.headers, "If-Match": f'"{current["version"]}"'}
        response = await self.client.request(method, url, json=fields or None, headers=headers)
        assert response.status_code in (200, 204), response.text
        return response


def codes(row: dict[str, Any]) -> list[str]:
    return [warning["code"] for warning in row["warnings"]]


@pytest.fixture
async def api(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
) -> Api:
    # Born 2024-01-01 at 30 weeks: corrected age = chronological - 70 days until 24 months.
    child = await seed_child(app, tenant_a, birth_date=date(2024, 1, 1), gestational_age_weeks=30)
    return Api(client, await headers_for(tenant_a), str(child.id))


class TestAssessmentWarnings:
    async def test_accepted_and_warned_and_kept_in_the_version(self, api: Api) -> None:
        # HINE at 30 months with 12 of 26 items: accepted, scored, and two warnings.
        row = await api.post(
            "/v1/assessments",
            instrument="hine",
            status="final",
            performed_on="2026-07-01",
            items={str(n): 3 for n in range(1, 13)},
        )
        assert row["scores"]["global"] == 36
        assert codes(row) == ["most_items_missing", "outside_age_range"]
        missing = row["warnings"][0]
        assert missing["pointer"] == "#/items"
        assert missing["detail"].startswith("12 of the 26 items are recorded")
        assert (await api.get(f"/v1/assessments/{row['id']}"))["warnings"] == row["warnings"]
        versions = await api.get(f"/v1/assessments/{row['id']}/versions")
        [kept] = [v for v in versions["data"] if v["version"] == row["version"]]
        assert kept["resource"]["warnings"] == row["warnings"]

    async def test_a_complete_assessment_in_range_has_none(self, api: Api) -> None:
        # HINE at 6 months chronological (about 3.7 corrected), every item.
        row = await api.post(
            "/v1/assessments",
            instrument="hine",
            status="final",
            performed_on="2024-07-01",
            items={str(n): 3 for n in range(1, 27)},
        )
        assert row["warnings"] == []

    async def test_the_walking_milestone_warns_the_aims_and_its_removal_clears_it(
        self, api: Api
    ) -> None:
        aims = await api.post(
            "/v1/assessments",
            instrument="aims",
            status="final",
            performed_on="2025-03-01",
            items={"prone-1": 1},
        )
        assert aims["warnings"] == []
        walked = await api.post(
            "/v1/milestones", milestone="walking_alone", achieved_on="2025-02-20"
        )
        after = await api.get(f"/v1/assessments/{aims['id']}")
        assert codes(after) == ["after_independent_walking"]
        assert after["version"] == aims["version"] + 1  # a new version, like a new score
        # Moved after the assessment: no longer a warning.
        await api.change("PATCH", f"/v1/milestones/{walked['id']}", achieved_on="2025-03-02")
        assert (await api.get(f"/v1/assessments/{aims['id']}"))["warnings"] == []
        await api.change("PATCH", f"/v1/milestones/{walked['id']}", achieved_on="2025-03-01")
        assert codes(await api.get(f"/v1/assessments/{aims['id']}")) == [
            "after_independent_walking"
        ]
        await api.change("DELETE", f"/v1/milestones/{walked['id']}")
        assert (await api.get(f"/v1/assessments/{aims['id']}"))["warnings"] == []

    async def test_a_change_against_other_items_says_so(self, api: Api) -> None:
        first = {str(n): 2 for n in range(1, 89)}
        second = {str(n): 3 for n in range(1, 80)}
        await api.post(
            "/v1/assessments",
            instrument="gmfm88",
            status="final",
            performed_on="2025-06-01",
            items=first,
        )
        later = await api.post(
            "/v1/assessments",
            instrument="gmfm88",
            status="final",
            performed_on="2025-12-01",
            items=second,
        )
        assert later["scores"]["change"] is not None
        assert codes(later) == ["coverage_differs"]
        assert later["warnings"][0]["pointer"] == "#/scores/change"


class TestMilestoneWarnings:
    async def test_before_term_is_warned_and_follows_the_gestational_age(
        self, api: Api, client: httpx.AsyncClient
    ) -> None:
        # 8 weeks after a birth at 30 weeks: 2 weeks before term-equivalent age.
        row = await api.post("/v1/milestones", milestone="head_control", achieved_on="2024-02-26")
        assert codes(row) == ["before_term_equivalent_age"]
        assert row["warnings"][0]["pointer"] == "#/achieved_on"
        assert (await api.get(f"/v1/milestones/{row['id']}"))["warnings"] == row["warnings"]
        # The child was in fact born at term: the warning goes, in a new version.
        await api.change("PATCH", f"/v1/children/{api.child_id}", gestational_age_weeks=40)
        now = await api.get(f"/v1/milestones/{row['id']}")
        assert now["warnings"] == []
        assert now["version"] == row["version"] + 1

    async def test_a_draft_follows_the_clinic_age_rule(self, api: Api) -> None:
        # A draft AIMS (the child has nothing else on record) at 19 months chronological,
        # 16.7 corrected: in the AIMS's range while the 30-week birth is corrected. The clinic
        # then corrects only below 30 weeks: the age is 19.0 months, past the AIMS's 18, and the
        # draft says so (a draft gets the age warnings; they follow the clinic's settings).
        row = await api.post(
            "/v1/assessments",
            instrument="aims",
            status="draft",
            performed_on="2025-08-01",
            items={"prone-1": 1},
        )
        assert codes(row) == []
        await api.change("PUT", "/v1/clinic-settings", preterm_below_weeks=30)
        now = await api.get(f"/v1/assessments/{row['id']}")
        assert codes(now) == ["outside_age_range"]
        assert now["version"] == row["version"] + 1


class TestProgressReport:
    async def test_scores_and_windows_carry_their_warnings(self, api: Api) -> None:
        await api.post(
            "/v1/assessments",
            instrument="gmfm88",
            status="final",
            performed_on="2025-06-01",
            items={str(n): 2 for n in range(1, 30)},
        )
        await api.post(
            "/v1/milestones", milestone="sitting_without_support", achieved_on="2024-02-26"
        )
        report = await api.get(
            f"/v1/children/{api.child_id}/progress?from=2024-01-01&to=2025-07-01"
        )
        [gmfm] = report["instruments"]
        assert codes(gmfm["latest"]) == ["most_items_missing"]
        windows = {window["milestone"]: window for window in report["milestones"]}
        assert codes(windows["sitting_without_support"]) == ["before_term_equivalent_age"]
        assert windows["standing_alone"]["warnings"] == []
