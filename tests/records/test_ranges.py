"""Every range of the API is `from` inclusive, `to` exclusive: in each list's filter, in the
adherence and progress reports and in the windows they answer with, on every database path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support import insights, sessions
from tests.support.clinics import Clinic
from tests.support.direct import serve_with
from tests.support.tenants import TenantClient, bearer, mint_token

Get = Callable[[str, dict[str, Any]], Awaitable[list[httpx.Response]]]


@pytest.fixture
def get_on_every_path(app: FastAPI, client: httpx.AsyncClient) -> Callable[[dict[str, str]], Get]:
    """The same GET on each database path the app has: direct (PostgreSQL) and session."""

    def make(headers: dict[str, str]) -> Get:
        async def get(path: str, params: dict[str, Any]) -> list[httpx.Response]:
            answers = [await client.get(path, params=params, headers=headers)]
            direct = app.state.direct
            if direct is not None:
                serve_with(app, None)
                try:
                    answers.append(await client.get(path, params=params, headers=headers))
                finally:
                    serve_with(app, direct)
            for answer in answers:
                assert answer.status_code == 200, answer.text
            return answers

        return get

    return make


def ids(response: httpx.Response) -> set[str]:
    return {row["id"] for row in response.json()["data"]}


class TestLists:
    async def test_session_records_at_to_are_out_at_from_in(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        get_on_every_path: Callable[[dict[str, str]], Get],
    ) -> None:
        clinic = await sessions.make_clinic(app, tenant_a, headers_for)
        at_from = await sessions.create(client, clinic, started_at="2025-03-04T09:00:00Z")
        inside = await sessions.create(client, clinic, started_at="2025-03-07T23:59:59Z")
        at_to = await sessions.create(client, clinic, started_at="2025-03-08T00:00:00Z")
        get = get_on_every_path(clinic.headers)
        for window in (
            {"from": "2025-03-04T09:00:00Z", "to": "2025-03-08T00:00:00Z"},
            {"from": "2025-03-04T10:00:00+01:00", "to": "2025-03-07T16:00:00-08:00"},
        ):
            for path in (sessions.URL, f"/v1/children/{clinic.child_id}/session-records"):
                for answer in await get(path, window):
                    assert ids(answer) == {at_from["id"], inside["id"]}
        assert at_to["id"] in ids((await get(sessions.URL, {}))[0])

    async def test_assessments_performed_on_to_are_out(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, app: FastAPI, headers_for: Headers
    ) -> None:
        clinic = await insights.make_clinic(app, tenant_a, headers_for)
        made = {
            on: await clinic.post(
                client,
                "/v1/assessments",
                child_id=clinic.child_id,
                instrument="gmfcs",
                status="final",
                performed_on=on,
                entered={"level": 2},
            )
            for on in ("2025-03-01", "2025-03-07", "2025-03-08")
        }
        window = {"from": "2025-03-01", "to": "2025-03-08"}
        for path in ("/v1/assessments", f"/v1/children/{clinic.child_id}/assessments"):
            response = await client.get(path, params=window, headers=clinic.headers)
            assert ids(response) == {made["2025-03-01"]["id"], made["2025-03-07"]["id"]}

    async def test_children_born_on_birth_date_to_are_out(
        self,
        app: FastAPI,
        tenant_a: TenantClient,
        headers_for: Headers,
        get_on_every_path: Callable[[dict[str, str]], Get],
    ) -> None:
        clinic = await insights.make_clinic(app, tenant_a, headers_for)  # born 2024-01-01
        get = get_on_every_path(clinic.headers)
        for params, found in (
            ({"birth_date_from": "2024-01-01", "birth_date_to": "2024-01-02"}, True),
            ({"birth_date_to": "2024-01-01"}, False),
            ({"birth_date_from": "2024-01-02"}, False),
            ({"birth_date_from": "2023-12-01", "birth_date_to": "2024-01-01"}, False),
        ):
            for answer in await get("/v1/children", params):
                assert (clinic.child_id in ids(answer)) is found, params

    async def test_audit_events_at_to_are_out(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        clinic = await insights.make_clinic(app, tenant_a, headers_for)
        await client.get(f"/v1/children/{clinic.child_id}", headers=clinic.headers)
        headers = bearer(await mint_token(app, tenant_a, scopes=["audit:read"]))
        url = "/v1/audit-events"
        params = {"resource_id": clinic.child_id, "action": "read"}
        [event] = (await client.get(url, params=params, headers=headers)).json()["data"]
        at = event["occurred_at"]
        after = await client.get(url, params={**params, "from": at}, headers=headers)
        before = await client.get(url, params={**params, "to": at}, headers=headers)
        assert ids(after) == {event["id"]}
        assert ids(before) == set()


class TestReports:
    async def _history(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """A program of one item from 1 to 14 March; a delivery on 1, 7 and 8 March (and a
        GMFCS on each of those days)."""
        program = await insights.make_program(client, clinic)
        item = program["items"][0]["id"]
        delivered = {}
        for day in ("2025-03-01", "2025-03-07", "2025-03-08"):
            done = [{"exercise_id": clinic.exercise_ids[0], "prescription_item_id": item}]
            record = await clinic.session(client, f"{day}T10:00:00Z", done)
            delivered[day] = record["id"]
            await clinic.post(
                client,
                "/v1/assessments",
                child_id=clinic.child_id,
                instrument="gmfcs",
                status="final",
                performed_on=day,
                entered={"level": 2},
            )
        return program, delivered

    async def test_adherence_to_excludes_its_day(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        clinic = await insights.make_clinic(app, tenant_a, headers_for)
        program, _ = await self._history(client, clinic)
        response = await client.get(
            f"/v1/prescriptions/{program['id']}/adherence",
            params={"from": "2025-03-01", "to": "2025-03-08"},
            headers=clinic.headers,
        )
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["window"] == {"from": "2025-03-01", "to": "2025-03-08"}
        assert report["active_days"] == 7
        assert report["items"][0]["delivered"]["occasions"] == 2  # 1 and 7 March, not the 8th

    async def test_progress_to_excludes_its_day_everywhere_in_the_report(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        get_on_every_path: Callable[[dict[str, str]], Get],
    ) -> None:
        clinic = await insights.make_clinic(app, tenant_a, headers_for)
        program, _ = await self._history(client, clinic)
        get = get_on_every_path(clinic.headers)
        window = {"from": "2025-03-01", "to": "2025-03-08"}
        answers = await get(f"/v1/children/{clinic.child_id}/progress", window)
        bodies = [answer.json() for answer in answers]
        assert all(body == bodies[0] for body in bodies)
        report = bodies[0]
        assert (report["period_from"], report["period_to"]) == ("2025-03-01", "2025-03-08")
        assert report["age"]["as_of"] == "2025-03-07"
        [gmfcs] = [i for i in report["instruments"] if i["instrument"] == "gmfcs"]
        assert gmfcs["latest"]["performed_on"] == "2025-03-07"
        assert gmfcs["previous"]["performed_on"] == "2025-03-01"
        [home] = report["sessions"]
        assert home["attended"] == 2
        [adherence] = report["adherence"]
        # The window is written as the query is: `to` is the day after the last day counted.
        assert adherence["window"] == window
        assert adherence["items"][0]["delivered"]["occasions"] == 2
        # ... so asking for the prescription's adherence over that window gives the same row.
        alone = await client.get(
            f"/v1/prescriptions/{program['id']}/adherence",
            params=adherence["window"],
            headers=clinic.headers,
        )
        assert alone.json() == adherence

    async def test_progress_window_clipped_to_the_program_ends_after_its_last_day(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        get_on_every_path: Callable[[dict[str, str]], Get],
    ) -> None:
        clinic = await insights.make_clinic(app, tenant_a, headers_for)
        program, _ = await self._history(client, clinic)  # period_end 2025-03-14 (inclusive)
        get = get_on_every_path(clinic.headers)
        window = {"from": "2025-02-01", "to": "2025-04-01"}
        for answer in await get(f"/v1/children/{clinic.child_id}/progress", window):
            [adherence] = answer.json()["adherence"]
            assert adherence["window"] == {"from": "2025-03-01", "to": "2025-03-15"}
            assert adherence["active_days"] == 14
        alone = await client.get(
            f"/v1/prescriptions/{program['id']}/adherence",
            params={"from": "2025-03-01", "to": "2025-03-15"},
            headers=clinic.headers,
        )
        assert alone.json()["window"] == {"from": "2025-03-01", "to": "2025-03-15"}


def test_every_range_parameter_says_its_convention(app: FastAPI) -> None:
    schema = app.openapi()
    seen = 0
    for path, item in schema["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                if parameter["in"] != "query":
                    continue
                description = parameter.get("description", "")
                if name == "to" or name.endswith("_to"):
                    assert "exclusive" in description, (path, name)
                    seen += 1
                elif name == "from" or name.endswith("_from"):
                    assert "inclusive" in description, (path, name)
    assert seen >= 8
    window = schema["components"]["schemas"]["AdherenceWindow"]
    assert "exclusive" in window["properties"]["to"]["description"]
