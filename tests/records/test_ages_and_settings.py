"""Corrected age on children, assessments and milestones; the clinic's rule settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.records.conftest import Headers, headers_maker
from tests.support.records import seed_child
from tests.support.tenants import TenantClient, make_tenant

SETTINGS = "/v1/clinic-settings"
NORMS = {
    "name": "Test norms",
    "rows": [
        {"age_months": 3, "percentiles": {"10": 6, "50": 10}},
        {"age_months": 4, "percentiles": {"10": 8, "50": 12, "90": 16}},
    ],
}


def _today() -> date:
    return datetime.now(UTC).date()


async def _put_settings(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    current = await client.get(SETTINGS, headers=headers)
    return await client.put(
        SETTINGS, json=fields, headers={**headers, "If-Match": current.headers["etag"]}
    )


class TestClinicSettings:
    async def test_no_token(self, client: httpx.AsyncClient) -> None:
        assert (await client.get(SETTINGS)).status_code == 401
        assert (await client.put(SETTINGS, json={})).status_code == 401

    async def test_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        reader = await headers_for(tenant_a, "settings:read")
        assert (await client.get(SETTINGS, headers=reader)).status_code == 200
        put = await client.put(SETTINGS, json={}, headers={**reader, "If-Match": '"0"'})
        assert put.status_code == 403
        other = await headers_for(tenant_a, "children:read")
        assert (await client.get(SETTINGS, headers=other)).status_code == 403

    async def test_defaults_then_replace_with_if_match(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        got = await client.get(SETTINGS, headers=headers)
        assert got.status_code == 200
        assert got.headers["etag"] == '"0"'
        assert got.json() == {
            "version": 0,
            "preterm_below_weeks": 37,
            "correct_until_months": 24,
            "aims_norms": None,
            "time_zone": "UTC",
            "crawling_expected": False,
            "progress_after_sessions": 3,
            "progress_full_percent": 80,
            "block_followup_weeks": 4,
            "due_schedule": {
                "gmfm88_every_months": 6,
                "gmfm88_intensive_every_months": 3,
                "aims_every_months": 1,
                "hine_at_months": [3, 6, 9, 12],
                "gmfcs_at_birthdays": [2, 4, 6, 12],
                "dmi_every_months": 2,
            },
            "updated_at": None,
        }
        body = {"preterm_below_weeks": 34, "aims_norms": NORMS}
        assert (await client.put(SETTINGS, json=body, headers=headers)).status_code == 428
        stale = await client.put(SETTINGS, json=body, headers={**headers, "If-Match": '"3"'})
        assert stale.status_code == 412
        put = await client.put(SETTINGS, json=body, headers={**headers, "If-Match": '"0"'})
        assert put.status_code == 200, put.text
        assert put.headers["etag"] == '"1"'
        assert put.json()["preterm_below_weeks"] == 34
        assert put.json()["correct_until_months"] == 24
        assert put.json()["aims_norms"] == NORMS
        cached = await client.get(SETTINGS, headers={**headers, "If-None-Match": '"1"'})
        assert cached.status_code == 304

    async def test_time_zone_and_crawling_are_stored_and_reset_when_omitted(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        body = {"time_zone": "America/Los_Angeles", "crawling_expected": True}
        put = await _put_settings(client, headers, **body)
        assert put.status_code == 200, put.text
        got = (await client.get(SETTINGS, headers=headers)).json()
        assert (got["time_zone"], got["crawling_expected"]) == ("America/Los_Angeles", True)
        # PUT replaces every setting: left out, both return to their defaults.
        again = (await _put_settings(client, headers, preterm_below_weeks=36)).json()
        assert (again["time_zone"], again["crawling_expected"]) == ("UTC", False)

    async def test_support_progression_thresholds_are_stored_and_bounded(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        for field, bad in (("progress_after_sessions", 0), ("progress_full_percent", 101)):
            refused = await _put_settings(client, headers, **{field: bad})
            assert refused.status_code == 422
            assert refused.json()["errors"][0]["pointer"] == f"#/{field}"
        put = await _put_settings(
            client, headers, progress_after_sessions=5, progress_full_percent=90
        )
        assert put.status_code == 200, put.text
        got = (await client.get(SETTINGS, headers=headers)).json()
        assert (got["progress_after_sessions"], got["progress_full_percent"]) == (5, 90)

    async def test_other_clinic_keeps_its_own(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        put = await _put_settings(client, await headers_for(tenant_a), preterm_below_weeks=30)
        assert put.status_code == 200
        theirs = await client.get(SETTINGS, headers=await headers_for(tenant_b))
        assert theirs.json()["version"] == 0
        assert theirs.json()["preterm_below_weeks"] == 37

    async def test_bad_input_changes_nothing(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = {**await headers_for(tenant_a), "If-Match": '"0"'}
        cases: list[tuple[dict[str, Any], str]] = [
            ({"preterm_below_weeks": 50}, "#/preterm_below_weeks"),
            ({"preterm_below_weeks": "37"}, "#/preterm_below_weeks"),
            ({"correct_until_months": -1}, "#/correct_until_months"),
            ({"version": 3}, "#/version"),
            ({"time_zone": "Mars/Olympus_Mons"}, "#/time_zone"),
            ({"time_zone": "-08:00"}, "#/time_zone"),
            ({"time_zone": "../../etc/passwd"}, "#/time_zone"),
            ({"time_zone": "/usr/share/zoneinfo/UTC"}, "#/time_zone"),
            ({"time_zone": ""}, "#/time_zone"),
            ({"time_zone": "Europe/Madrid\u0000"}, "#/time_zone"),
            ({"time_zone": 1}, "#/time_zone"),
            ({"crawling_expected": "yes"}, "#/crawling_expected"),
            ({"crawling_expected": 1}, "#/crawling_expected"),
            ({"aims_norms": {"name": "x", "rows": []}}, "#/aims_norms/rows"),
            ({"aims_norms": {"name": "x", "rows": [{"age_months": 4}]}}, "#/aims_norms/rows/0"),
            (
                {"aims_norms": {**NORMS, "rows": list(reversed(NORMS["rows"]))}},
                "#/aims_norms",
            ),
            (
                {
                    "aims_norms": {
                        "name": "x",
                        "rows": [{"age_months": 4, "percentiles": {"10": 12, "50": 8}}],
                    }
                },
                "#/aims_norms",
            ),
        ]
        for body, pointer in cases:
            response = await client.put(SETTINGS, json=body, headers=headers)
            assert response.status_code == 422, body
            assert response.headers["content-type"] == "application/problem+json"
            pointers = [e["pointer"] for e in response.json()["errors"]]
            assert any(p.startswith(pointer) for p in pointers), (body, pointers)
        assert (await client.get(SETTINGS, headers=headers)).json()["version"] == 0

    async def test_first_replacements_at_once_give_one_200_and_412s(
        self, live_app: FastAPI, live_client: httpx.AsyncClient
    ) -> None:
        # No row yet (ETag "0"): the PUTs insert it at once; the losers' "0" is then stale.
        tenant = await make_tenant(live_app)
        headers = {**await headers_maker(live_app)(tenant), "If-Match": '"0"'}
        responses = await asyncio.gather(
            *(
                live_client.put(SETTINGS, json={"preterm_below_weeks": 30 + i}, headers=headers)
                for i in range(4)
            )
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200, 412, 412, 412], [r.text for r in responses]
        [won] = [response for response in responses if response.status_code == 200]
        current = await live_client.get(SETTINGS, headers=headers)
        assert current.headers["etag"] == '"1"'
        assert current.json()["preterm_below_weeks"] == won.json()["preterm_below_weeks"]


class TestAges:
    async def test_child_age_today_is_corrected_when_born_preterm(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        # Born at 32+0 weeks, 16 weeks old today: 8 weeks early, so 8 weeks corrected.
        child = await seed_child(
            app,
            tenant_a,
            birth_date=_today() - timedelta(weeks=16),
            gestational_age_weeks=32,
            gestational_age_days=0,
        )
        headers = await headers_for(tenant_a, "children:read")
        got = (await client.get(f"/v1/children/{child.id}", headers=headers)).json()
        assert got["age"] == {
            "as_of": _today().isoformat(),
            "chronological_days": 112,
            "corrected_days": 56,
            "rule": "corrected-age@2",
        }
        listed = (await client.get("/v1/children", headers=headers)).json()["data"]
        assert listed[0]["age"]["corrected_days"] == 56

    async def test_term_or_unknown_gestation_has_no_corrected_age(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        headers = await headers_for(tenant_a, "children:read")
        for weeks in (39, None):
            child = await seed_child(
                app, tenant_a, birth_date=_today() - timedelta(days=30), gestational_age_weeks=weeks
            )
            got = (await client.get(f"/v1/children/{child.id}", headers=headers)).json()
            assert got["age"]["chronological_days"] == 30
            assert got["age"]["corrected_days"] is None

    async def test_a_threshold_past_term_never_makes_a_child_older(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        # The clinic corrects below 42 weeks (the setting allows up to 42). Born 41+0, 30 days
        # old: 280 - 287 = -7 days "early" would give 30 + 7 = 37 days corrected, an age a week
        # older than the child; born 40+0, 0 days early. Neither was born early: no correction.
        # Born 38+0 (14 days early): 30 - 14 = 16 days corrected, as before.
        headers = await headers_for(tenant_a)
        assert (await _put_settings(client, headers, preterm_below_weeks=42)).status_code == 200
        for weeks, corrected in ((41, None), (40, None), (38, 16)):
            child = await seed_child(
                app, tenant_a, birth_date=_today() - timedelta(days=30), gestational_age_weeks=weeks
            )
            got = (await client.get(f"/v1/children/{child.id}", headers=headers)).json()
            assert got["age"]["chronological_days"] == 30
            assert got["age"]["corrected_days"] == corrected, weeks

    async def test_assessments_and_milestones_carry_ages_on_their_dates(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        # Born at 30+0: 10 weeks (70 days) early.
        child = await seed_child(
            app, tenant_a, birth_date=date(2024, 3, 1), gestational_age_weeks=30
        )
        headers = await headers_for(tenant_a)
        assessment = await client.post(
            "/v1/assessments",
            json={
                "child_id": str(child.id),
                "instrument": "hine",
                "performed_on": "2024-06-09",
                "items": {"1": 3},
            },
            headers=headers,
        )
        assert assessment.status_code == 201, assessment.text
        assert assessment.json()["age"] == {
            "as_of": "2024-06-09",
            "chronological_days": 100,
            "corrected_days": 30,
            "rule": "corrected-age@2",
        }
        milestone = await client.post(
            "/v1/milestones",
            json={
                "child_id": str(child.id),
                "milestone": "sitting_without_support",
                "achieved_on": "2024-09-01",
            },
            headers=headers,
        )
        assert milestone.status_code == 201, milestone.text
        assert milestone.json()["age"]["chronological_days"] == 184
        assert milestone.json()["age"]["corrected_days"] == 114
        nested = await client.get(f"/v1/children/{child.id}/milestones", headers=headers)
        assert nested.json()["data"][0]["age"]["corrected_days"] == 114
        # The kept version holds the record, not the derived ages.
        versions = await client.get(
            f"/v1/assessments/{assessment.json()['id']}/versions", headers=headers
        )
        assert "age" not in versions.json()["data"][0]["resource"]

    async def test_clinic_thresholds_apply(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        headers = await headers_for(tenant_a)
        child = await seed_child(
            app, tenant_a, birth_date=_today() - timedelta(days=400), gestational_age_weeks=30
        )
        path = f"/v1/children/{child.id}"
        assert (await client.get(path, headers=headers)).json()["age"]["corrected_days"] == 330
        # Correct only below 30 weeks: a child born at 30+0 is no longer corrected.
        assert (await _put_settings(client, headers, preterm_below_weeks=30)).status_code == 200
        assert (await client.get(path, headers=headers)).json()["age"]["corrected_days"] is None
        # Correct until 12 months: a 400-day-old child is past it.
        put = await _put_settings(client, headers, preterm_below_weeks=37, correct_until_months=12)
        assert put.status_code == 200
        assert (await client.get(path, headers=headers)).json()["age"]["corrected_days"] is None
