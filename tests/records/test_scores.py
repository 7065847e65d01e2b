"""Scores of final assessments, computed by the server and kept current when inputs change."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.records import seed_child
from tests.support.tenants import TenantClient

URL = "/v1/assessments"


def gmfm(score: int | str) -> dict[str, Any]:
    return {str(n): score for n in range(1, 89)}


class Scoring:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], child_id: str):
        self.client, self.headers, self.child_id = client, headers, child_id

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = {"child_id": self.child_id, "instrument": "gmfm88", "status": "final", **fields}
        response = await self.client.post(URL, json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def get(self, row: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.get(f"{URL}/{row['id']}", headers=self.headers)
        assert response.status_code == 200
        got: dict[str, Any] = response.json()
        return got

    async def patch(self, row: dict[str, Any], **fields: Any) -> dict[str, Any]:
        current = await self.get(row)
        response = await self.client.patch(
            f"{URL}/{row['id']}",
            json=fields,
            headers={**self.headers, "If-Match": f'"{current["version"]}"'},
        )
        assert response.status_code == 200, response.text
        patched: dict[str, Any] = response.json()
        return patched


@pytest.fixture
async def scoring(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
) -> Scoring:
    child = await seed_child(app, tenant_a)
    return Scoring(client, await headers_for(tenant_a), str(child.id))


class TestGmfm88:
    async def test_draft_has_no_scores_until_final(self, scoring: Scoring) -> None:
        row = await scoring.create(status="draft", performed_on="2025-01-10", items=gmfm(3))
        assert row["scores"] is None
        final = await scoring.patch(row, status="final")
        assert final["scores"]["total_percent"] == 100
        assert final["scores"]["rule"] == "gmfm88@3rd-ed-r3"

    async def test_all_three_and_goal_dimensions(self, scoring: Scoring) -> None:
        row = await scoring.create(
            performed_on="2025-01-10", items=gmfm(3), goal_dimensions=["B", "D"]
        )
        scores = row["scores"]
        for dimension, maximum in (("A", 51), ("B", 60), ("C", 42), ("D", 39), ("E", 72)):
            assert scores["dimensions"][dimension]["raw"] == maximum
            assert scores["dimensions"][dimension]["percent"] == 100
        assert scores["total_percent"] == 100
        assert scores["goal_total_percent"] == 100
        assert scores["items_tested"] == 88
        assert scores["change"] is None

    async def test_percents_round_half_up(self, scoring: Scoring) -> None:
        # E raw 9 of 72 = 12.5 %; goals B, C, D, E: 12.5 / 4 = 3.125 -> 3.13 (not 3.12).
        items = {**gmfm(0), "65": 3, "66": 3, "67": 3}
        row = await scoring.create(
            performed_on="2025-01-10", items=items, goal_dimensions=["B", "C", "D", "E"]
        )
        assert row["scores"]["goal_total_percent"] == 3.13
        assert row["scores"]["total_percent"] == 2.5

    async def test_progress_change_rounds_half_up(self, scoring: Scoring) -> None:
        # GMAE 51.125 - 50.0 = 1.125 -> 1.13 (Python's round gives 1.12), on either read path.
        for on, gmae in (("2025-01-10", 50.0), ("2025-04-10", 51.125)):
            await scoring.create(instrument="gmfm66", performed_on=on, entered={"gmae_score": gmae})
        response = await scoring.client.get(
            f"/v1/children/{scoring.child_id}/progress",
            params={"from": "2025-01-01", "to": "2025-05-01"},
            headers=scoring.headers,
        )
        assert response.status_code == 200, response.text
        [gmfm66] = response.json()["instruments"]
        assert (gmfm66["previous"]["value"], gmfm66["latest"]["value"]) == (50.0, 51.125)
        assert gmfm66["change"] == 1.13

    async def test_all_not_tested_is_zero(self, scoring: Scoring) -> None:
        row = await scoring.create(performed_on="2025-01-10", items=gmfm("NT"))
        assert row["scores"]["total_percent"] == 0
        assert row["scores"]["items_tested"] == 0
        assert row["scores"]["goal_total_percent"] is None

    async def test_change_follows_amendments_and_deletes(self, scoring: Scoring) -> None:
        first = await scoring.create(performed_on="2025-01-10", items=gmfm(1))
        second = await scoring.create(performed_on="2025-04-10", items=gmfm(3))
        change = second["scores"]["change"]
        assert change["previous_assessment_id"] == first["id"]
        assert change["total_percent"] == 66.67  # 100 - 33.33
        # Amending the earlier one changes the later one's change, as a new version of it.
        await scoring.patch(first, items=gmfm(2))
        later = await scoring.get(second)
        assert later["scores"]["change"]["total_percent"] == 33.33  # 100 - 66.67
        assert later["version"] == second["version"] + 1
        versions = await scoring.client.get(
            f"{URL}/{second['id']}/versions", headers=scoring.headers
        )
        assert [v["version"] for v in versions.json()["data"]] == [1, 2]
        # A draft in between does not count; deleting the earlier leaves no previous one.
        await scoring.create(status="draft", performed_on="2025-02-10", items=gmfm(0))
        current = await scoring.get(first)
        deleted = await scoring.client.delete(
            f"{URL}/{first['id']}",
            headers={**scoring.headers, "If-Match": f'"{current["version"]}"'},
        )
        assert deleted.status_code == 204
        assert (await scoring.get(second))["scores"]["change"] is None

    async def test_goal_total_change_only_between_the_same_goal_dimensions(
        self, scoring: Scoring
    ) -> None:
        # Every item 1: each dimension 1/3 = 33.33 %; every item 3: 100 %. Goals B and D then,
        # goals C and E now: 100 - 33.33 = 66.67 would subtract the means of other dimensions
        # (sitting and standing against crawling and walking): no goal total change. The total
        # (all five dimensions both times) still changes by 66.67.
        await scoring.create(performed_on="2025-01-10", items=gmfm(1), goal_dimensions=["B", "D"])
        other_goals = await scoring.create(
            performed_on="2025-04-10", items=gmfm(3), goal_dimensions=["C", "E"]
        )
        change = other_goals["scores"]["change"]
        assert change["total_percent"] == 66.67
        assert change["goal_total_percent"] is None
        # The same goals again (in another order): 100 - 100 = 0.0, then with every item 2
        # (66.67 % each) against that: 66.67 - 100 = -33.33.
        same_goals = await scoring.create(
            performed_on="2025-07-10", items=gmfm(3), goal_dimensions=["E", "C"]
        )
        assert same_goals["scores"]["change"]["goal_total_percent"] == 0.0
        lower = await scoring.create(
            performed_on="2025-10-10", items=gmfm(2), goal_dimensions=["C", "E"]
        )
        assert lower["scores"]["change"]["goal_total_percent"] == -33.33


class TestOtherInstruments:
    async def test_gmfm66_keeps_the_gmae_values_and_computes_no_percentage(
        self, scoring: Scoring
    ) -> None:
        row = await scoring.create(
            instrument="gmfm66",
            performed_on="2025-01-10",
            items={"1": 3, "2": 2},
            entered={
                "gmae_score": 45.2,
                "standard_error": 1.1,
                "ci95_low": 43.0,
                "ci95_high": 47.4,
            },
        )
        scores = row["scores"]
        assert scores["gmae_score"] == 45.2
        assert scores["ci95_high"] == 47.4
        assert scores["rule"] == "gmfm66@gmae-2"
        assert not any("percent" in key for key in scores)

    async def test_hine_sections(self, scoring: Scoring) -> None:
        row = await scoring.create(
            instrument="hine",
            performed_on="2024-06-01",
            items={str(n): 3 for n in range(1, 27)},
        )
        scores = row["scores"]
        assert scores["global"] == 78
        assert scores["sections"]["tone"] == {"raw": 24, "max": 24}

    async def test_gmfcs_band_follows_the_birth_date(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        scoring: Scoring,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        row = await scoring.create(
            instrument="gmfcs", performed_on="2025-03-04", entered={"level": "III"}
        )
        assert row["scores"]["level"] == 3
        assert row["scores"]["level_roman"] == "III"
        assert row["scores"]["age_band"] == "<2"
        child_path = f"/v1/children/{scoring.child_id}"
        child = (await client.get(child_path, headers=scoring.headers)).json()
        moved = await client.patch(
            child_path,
            json={"birth_date": "2022-01-01"},
            headers={**scoring.headers, "If-Match": f'"{child["version"]}"'},
        )
        assert moved.status_code == 200, moved.text
        rescored = await scoring.get(row)
        assert rescored["scores"]["age_band"] == "2-4"
        assert rescored["version"] == row["version"] + 1

    async def test_gmfcs_band_starts_on_the_birthday(
        self, app: FastAPI, tenant_a: TenantClient, scoring: Scoring
    ) -> None:
        # Born 2021-03-01, seen on the 2nd birthday (730 days, fewer than 2 x 365.25): 2-4.
        child = await seed_child(app, tenant_a, birth_date=date(2021, 3, 1))
        born = Scoring(scoring.client, scoring.headers, str(child.id))
        day_before = await born.create(
            instrument="gmfcs", performed_on="2023-02-28", entered={"level": 2}
        )
        birthday = await born.create(
            instrument="gmfcs", performed_on="2023-03-01", entered={"level": 2}
        )
        assert day_before["scores"]["age_band"] == "<2"
        assert birthday["scores"]["age_band"] == "2-4"
        assert birthday["scores"]["rule"] == "gmfcs-er@2007-r2"

    async def test_aims_percentile_only_from_the_clinics_norms(
        self, client: httpx.AsyncClient, scoring: Scoring
    ) -> None:
        # Born 2024-03-01 at term; 4 months old on 2024-07-05; 10 items observed.
        items = {f"prone-{n}": 1 for n in range(1, 11)} | {"supine-1": 0}
        row = await scoring.create(instrument="aims", performed_on="2024-07-05", items=items)
        assert row["scores"]["total"] == 10
        assert row["scores"]["positions"]["prone"] == {
            "raw": 10,
            "max": 21,
            "observed": 10,
            "credited": 0,
            "window": {"from_item": 1, "to_item": 10},
        }
        assert row["scores"]["percentile"] is None
        norms = {
            "name": "Clinic norms",
            "rows": [{"age_months": 4, "percentiles": {"10": 8, "50": 12}}],
        }
        put = await client.put(
            "/v1/clinic-settings",
            json={"aims_norms": norms},
            headers={**scoring.headers, "If-Match": '"0"'},
        )
        assert put.status_code == 200, put.text
        rescored = await scoring.get(row)
        assert rescored["scores"]["percentile"] == 10
        assert rescored["scores"]["percentile_source"] == "clinic_norms"

    async def test_free_instruments_have_no_scores(self, scoring: Scoring) -> None:
        row = await scoring.create(
            instrument="dmi_evaluation", performed_on="2025-01-10", items={"head-control": 40}
        )
        assert row["scores"] is None
