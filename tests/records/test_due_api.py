"""What falls due: a child's next assessments, the clinic's worklist, the schedule setting and
the `assessment.due` events (announced once)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.clinical.ages import add_months
from dmi_api.services.due_notices import announce_all
from tests.records.conftest import Headers
from tests.support.records import seed_child
from tests.support.tenants import TenantClient

TODAY = datetime.now(UTC).date()  # the clinic's time zone is UTC by default


class Clinic:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], child_id: str):
        self.client, self.headers, self.child_id = client, headers, child_id

    async def due(self) -> dict[str, Any]:
        response = await self.client.get(f"/v1/children/{self.child_id}/due", headers=self.headers)
        assert response.status_code == 200, response.text
        return {i["instrument"]: i for i in response.json()["items"]}

    async def assess(self, instrument: str, on: str, **fields: Any) -> None:
        body = {"child_id": self.child_id, "instrument": instrument, "status": "final"}
        response = await self.client.post(
            "/v1/assessments", json={**body, "performed_on": on, **fields}, headers=self.headers
        )
        assert response.status_code == 201, response.text


@pytest.fixture
async def clinic(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
) -> Clinic:
    # A term-born child of 100 days, in care from today.
    child = await seed_child(
        app, tenant_a, birth_date=TODAY - timedelta(days=100), gestational_age_weeks=40
    )
    return Clinic(client, await headers_for(tenant_a), str(child.id))


class TestChildDue:
    async def test_access(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        url = f"/v1/children/{clinic.child_id}/due"
        assert (await client.get(url)).status_code == 401
        partial = await headers_for(tenant_a, "children:read")
        assert (await client.get(url, headers=partial)).status_code == 403
        theirs = await client.get(url, headers=await headers_for(tenant_b))
        missing = await client.get(f"/v1/children/{uuid.uuid4()}/due", headers=clinic.headers)
        assert theirs.status_code == missing.status_code == 404
        assert (await client.get("/v1/children/7/due", headers=clinic.headers)).status_code == 422

    async def test_a_new_child_and_the_dates_after_assessments(self, clinic: Clinic) -> None:
        birth = TODAY - timedelta(days=100)
        due = await clinic.due()
        assert due["gmfm88"]["due_on"] == TODAY.isoformat()
        assert due["gmfm88"]["status"] == "due"
        hine = add_months(birth, 3)
        assert (due["hine"]["due_on"], due["hine"]["status"]) == (hine.isoformat(), "overdue")
        assert due["gmfcs"]["status"] == "not_applicable"
        assert due["aims"]["rule"] == "due-dates@2"
        # Assessed today: the next dates follow the schedule.
        await clinic.assess("gmfm88", TODAY.isoformat(), items={"1": 1})
        await clinic.assess("hine", TODAY.isoformat(), items={"1": 3})
        due = await clinic.due()
        assert due["gmfm88"]["due_on"] == add_months(TODAY, 6).isoformat()
        assert due["gmfm88"]["last_performed_on"] == TODAY.isoformat()
        assert due["gmfm88"]["basis"] == "6 months after the last"
        assert due["hine"]["due_on"] == add_months(birth, 6).isoformat()

    async def test_the_clinics_schedule_decides(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        await clinic.assess("gmfm88", TODAY.isoformat(), items={"1": 1})
        settings = await client.get("/v1/clinic-settings", headers=clinic.headers)
        etag = {"If-Match": settings.headers["etag"]}
        for bad in ({"hine_at_months": [6, 3]}, {"gmfm88_every_months": 0}, {"extra": 1}):
            refused = await client.put(
                "/v1/clinic-settings",
                json={"due_schedule": bad},
                headers={**clinic.headers, **etag},
            )
            assert refused.status_code == 422, bad
            assert refused.json()["errors"][0]["pointer"].startswith("#/due_schedule")
        put = await client.put(
            "/v1/clinic-settings",
            json={"due_schedule": {"gmfm88_every_months": 4}},
            headers={**clinic.headers, **etag},
        )
        assert put.status_code == 200, put.text
        assert put.json()["due_schedule"]["gmfm88_every_months"] == 4
        assert put.json()["due_schedule"]["hine_at_months"] == [3, 6, 9, 12]
        assert (await clinic.due())["gmfm88"]["due_on"] == add_months(TODAY, 4).isoformat()

    async def test_a_preterm_childs_gmfcs_birthday_is_corrected(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        tenant_a: TenantClient,
    ) -> None:
        # Born at 28+0 weeks (term 84 days later), cerebral palsy, a clinic rating at the 1st
        # birthday: while correction applies it counts from term, as the GMFCS bands do.
        birth = TODAY - timedelta(days=100)
        child = await seed_child(
            app,
            tenant_a,
            birth_date=birth,
            gestational_age_weeks=28,
            gestational_age_days=0,
            diagnoses=[{"system": "ICD-10", "code": "G80.1"}],
        )
        settings = await client.get("/v1/clinic-settings", headers=clinic.headers)
        put = await client.put(
            "/v1/clinic-settings",
            json={"due_schedule": {"gmfcs_at_birthdays": [1, 2]}},
            headers={**clinic.headers, "If-Match": settings.headers["etag"]},
        )
        assert put.status_code == 200, put.text
        response = await client.get(f"/v1/children/{child.id}/due", headers=clinic.headers)
        [gmfcs] = [i for i in response.json()["items"] if i["instrument"] == "gmfcs"]
        first_birthday = add_months(birth + timedelta(days=84), 12)
        assert (gmfcs["due_on"], gmfcs["basis"]) == (
            first_birthday.isoformat(),
            "at the 1st birthday",
        )


class TestClinicWorklist:
    async def test_by_date_and_paged(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        before = (TODAY + timedelta(days=1)).isoformat()
        response = await client.get(
            "/v1/due", params={"before": before, "limit": 2}, headers=clinic.headers
        )
        assert response.status_code == 200, response.text
        first = response.json()
        assert first["as_of"] == TODAY.isoformat()
        assert [(i["instrument"], i["status"]) for i in first["data"]] == [
            ("hine", "overdue"),
            ("aims", "due"),
        ]
        assert all(i["child_id"] == clinic.child_id for i in first["data"])
        assert 'rel="next"' in response.headers["link"]
        second = await client.get(
            "/v1/due",
            params={"before": before, "limit": 2, "cursor": first["next_cursor"]},
            headers=clinic.headers,
        )
        assert [i["instrument"] for i in second.json()["data"]] == ["dmi_evaluation", "gmfm88"]
        assert second.json()["next_cursor"] is None
        # A cursor belongs to its `before`; `before` is required.
        other = await client.get(
            "/v1/due",
            params={"before": TODAY.isoformat(), "cursor": first["next_cursor"]},
            headers=clinic.headers,
        )
        assert other.status_code == 422
        assert (await client.get("/v1/due", headers=clinic.headers)).status_code == 422

    async def test_another_clinic_sees_none_of_it(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        theirs = await client.get(
            "/v1/due",
            params={"before": (TODAY + timedelta(days=30)).isoformat()},
            headers=await headers_for(tenant_b),
        )
        assert theirs.status_code == 200
        assert theirs.json()["data"] == []


class TestDueEvents:
    async def test_announced_once_then_again_for_a_new_date(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        def due_events(page: dict[str, Any]) -> list[tuple[str, list[str], str]]:
            return [
                (e["resource"]["id"], e["changed_fields"], e["resource"]["path"])
                for e in page["data"]
                if e["type"] == "assessment.due"
            ]

        async def feed() -> dict[str, Any]:
            response = await client.get("/v1/events", headers=clinic.headers)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        assert await announce_all(app.state.sessionmaker) >= 4
        announced = due_events(await feed())
        path = f"/v1/children/{clinic.child_id}/due"
        assert sorted(announced) == [
            (clinic.child_id, [name], path) for name in ("aims", "dmi_evaluation", "gmfm88", "hine")
        ]
        # A second round (another worker, the next hour) announces nothing again.
        await announce_all(app.state.sessionmaker)
        assert len(due_events(await feed())) == 4
        # An assessment moves the GMFM-88's date; the new date is announced when reached only.
        await clinic.assess("gmfm88", TODAY.isoformat(), items={"1": 1})
        await announce_all(app.state.sessionmaker)
        assert len(due_events(await feed())) == 4
