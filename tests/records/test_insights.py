"""WHO milestone windows, prescription adherence and the progress report (with its SVG)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.insights import make_clinic, make_program, pause_and_resume
from tests.support.records import seed_child
from tests.support.tenants import TenantClient

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def clinic(app: FastAPI, tenant_a: TenantClient, headers_for: Headers) -> Clinic:
    return await make_clinic(app, tenant_a, headers_for)


@pytest.fixture
async def other(app: FastAPI, tenant_b: TenantClient, headers_for: Headers) -> Clinic:
    return await make_clinic(app, tenant_b, headers_for)


def _windows(body: list[dict[str, Any]]) -> dict[str, str]:
    return {w["milestone"]: w["status"] for w in body}


class TestMilestoneWindows:
    def url(self, clinic: Clinic) -> str:
        return f"/v1/children/{clinic.child_id}/milestone-windows"

    async def test_access(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic, headers_for: Headers
    ) -> None:
        assert (await client.get(self.url(clinic))).status_code == 401
        partial = await headers_for(clinic.tenant, "milestones:read")
        assert (await client.get(self.url(clinic), headers=partial)).status_code == 403
        theirs = await client.get(self.url(clinic), headers=other.headers)
        missing = await client.get(
            f"/v1/children/{uuid.uuid4()}/milestone-windows", headers=other.headers
        )
        assert theirs.status_code == missing.status_code == 404

    async def test_bad_input(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        for as_of in ("2023-12-31", "2024-13-01", "7"):
            response = await client.get(
                self.url(clinic), params={"as_of": as_of}, headers=clinic.headers
            )
            assert response.status_code == 422, as_of

    async def test_statuses_on_a_date(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        await clinic.milestone(client, "sitting_without_support", "2024-07-01")  # 6.0 months
        await clinic.milestone(client, "standing_alone", "2025-07-01")  # 18.0 months: late
        # An achievement recorded twice counts from its first date.
        await clinic.milestone(client, "sitting_without_support", "2024-08-01")
        response = await client.get(
            self.url(clinic), params={"as_of": "2024-11-01"}, headers=clinic.headers
        )
        assert response.status_code == 200
        body = response.json()
        assert [w["milestone"] for w in body] == [
            "sitting_without_support",
            "standing_with_assistance",
            "hands_and_knees_crawling",
            "walking_with_assistance",
            "standing_alone",
            "walking_alone",
        ]
        sitting = body[0]
        assert sitting["achieved_on"] == "2024-07-01"
        assert (sitting["window_from_months"], sitting["window_to_months"]) == (3.8, 9.2)
        assert sitting["rule"] == "who-mgrs-2006@2"
        # 2024-11-01 is 305 days (10.02 months): standing alone is not known yet on that day.
        assert _windows(body) == {
            "sitting_without_support": "achieved_within",
            "standing_with_assistance": "within_window",
            "hands_and_knees_crawling": "within_window",
            "walking_with_assistance": "within_window",
            "standing_alone": "within_window",
            "walking_alone": "within_window",
        }
        later = await client.get(
            self.url(clinic), params={"as_of": "2025-09-01"}, headers=clinic.headers
        )
        assert _windows(later.json()) == {
            "sitting_without_support": "achieved_within",
            "standing_with_assistance": "late",
            # Never seen crawling, but stands alone: crawling may be skipped.
            "hands_and_knees_crawling": "skipped",
            "walking_with_assistance": "late",
            "standing_alone": "achieved_late",
            "walking_alone": "late",
        }

    async def test_judged_on_corrected_age(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # Born at 28+0 (84 days early): 130 days old is 4.27 months, but 1.51 corrected.
        preterm = await seed_child(
            app, clinic.tenant, birth_date=date(2024, 1, 1), gestational_age_weeks=28
        )
        response = await client.get(
            f"/v1/children/{preterm.id}/milestone-windows",
            params={"as_of": "2024-05-10"},
            headers=clinic.headers,
        )
        assert _windows(response.json())["sitting_without_support"] == "not_yet_expected"
        term = await client.get(
            self.url(clinic), params={"as_of": "2024-05-10"}, headers=clinic.headers
        )
        assert _windows(term.json())["sitting_without_support"] == "within_window"


class TestAdherence:
    def url(self, program: dict[str, Any]) -> str:
        return f"/v1/prescriptions/{program['id']}/adherence"

    async def test_access(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic, headers_for: Headers
    ) -> None:
        program = await make_program(client, clinic)
        assert (await client.get(self.url(program))).status_code == 401
        partial = await headers_for(clinic.tenant, "prescriptions:read")
        assert (await client.get(self.url(program), headers=partial)).status_code == 403
        assert (await client.get(self.url(program), headers=other.headers)).status_code == 404
        bad = await client.get(
            self.url(program),
            params={"from": "2025-03-10", "to": "2025-03-10"},
            headers=clinic.headers,
        )
        assert bad.status_code == 422

    async def test_half_the_dose_with_a_pause_left_out(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        program = await make_program(client, clinic)
        item_id = program["items"][0]["id"]
        for day in range(1, 8):  # 7 days of 5 repetitions
            await clinic.session(
                client,
                f"2025-03-{day:02d}T17:00:00Z",
                [
                    {
                        "exercise_id": clinic.exercise_ids[0],
                        "prescription_item_id": item_id,
                        "repetitions": 5,
                    }
                ],
            )
        # Cancelled sessions and other exercises deliver nothing.
        await clinic.session(
            client,
            "2025-03-08T17:00:00Z",
            [{"exercise_id": clinic.exercise_ids[0], "repetitions": 5}],
            attendance="cancelled",
        )
        window = {"from": "2025-03-01", "to": "2025-03-15"}
        report = (await client.get(self.url(program), params=window, headers=clinic.headers)).json()
        assert report["rule"] == "adherence@4"
        assert report["window"] == {"from": "2025-03-01", "to": "2025-03-15"}
        assert report["active_days"] == 14
        item = report["items"][0]
        assert item["prescribed"] == {"occasions": 14, "repetitions": 70}
        assert item["delivered"]["occasions"] == 7
        assert item["delivered"]["repetitions"] == 35
        assert item["delivered"]["by_source"]["home"]["repetitions"] == 35
        assert item["percent"] == {"occasions": 50.0, "repetitions": 50.0}
        assert report["overall"]["percent"]["repetitions"] == 50.0
        # Paused from the 8th, active again on the 12th: 4 days leave the count.
        await pause_and_resume(client, clinic, program, "2025-03-08", "2025-03-12")
        again = (await client.get(self.url(program), params=window, headers=clinic.headers)).json()
        assert again["active_days"] == 10
        assert again["paused_days"] == 4
        assert again["items"][0]["percent"]["occasions"] == 70.0

    async def test_default_window_of_a_program_not_begun_counts_no_day(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # Hand calculation: the program starts 10 days after the clinic's today (UTC), so
        # "its period up to today" holds no day: 0 days counted, 0 prescribed (1 x 7 x 0 / 7),
        # and no percent (nothing was due yet), not 0 % of one future day's dose
        # (1 x 7 x 1 / 7 = 1 occasion, 5 repetitions).
        start = datetime.now(UTC).date() + timedelta(days=10)
        program = await make_program(
            client, clinic, period_start=start.isoformat(), period_end=None
        )
        report = (await client.get(self.url(program), headers=clinic.headers)).json()
        assert report["active_days"] == 0
        # The half-open window [start, start): empty, as the API writes ranges.
        assert report["window"] == {"from": start.isoformat(), "to": start.isoformat()}
        item = report["items"][0]
        assert item["prescribed"] == {"occasions": 0, "repetitions": 0}
        assert item["percent"] == {"occasions": None, "repetitions": None}
        assert report["overall"]["percent"] == {"occasions": None, "repetitions": None}

    async def test_an_entry_naming_no_item_is_not_counted_by_two_prescriptions(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # Two programs running 1-14 March, each with the same exercise once a day (7 a week).
        # A home log of that exercise naming no item on 2 March is one delivery: counted by
        # both programs it would show 1 of 14 occasions twice, the child's one set as two.
        # It could belong to either: it counts for neither (the rule's ambiguous entry). One
        # naming the home program's item counts for it alone: 1 of 14 = 7.14 %, and 0 of 14
        # = 0.0 % for the clinic program.
        home = await make_program(client, clinic)
        other = await make_program(client, clinic, setting="clinic")
        exercise = clinic.exercise_ids[0]
        await clinic.session(
            client, "2025-03-02T17:00:00Z", [{"exercise_id": exercise, "repetitions": 5}]
        )
        window = {"from": "2025-03-01", "to": "2025-03-15"}
        for program in (home, other):
            got = await client.get(self.url(program), params=window, headers=clinic.headers)
            assert got.json()["items"][0]["delivered"]["occasions"] == 0, program["setting"]
        named = {"exercise_id": exercise, "prescription_item_id": home["items"][0]["id"]}
        await clinic.session(client, "2025-03-03T17:00:00Z", [{**named, "repetitions": 5}])
        mine = await client.get(self.url(home), params=window, headers=clinic.headers)
        assert mine.json()["items"][0]["delivered"]["occasions"] == 1
        assert mine.json()["items"][0]["percent"]["occasions"] == 7.14
        theirs = await client.get(self.url(other), params=window, headers=clinic.headers)
        assert theirs.json()["items"][0]["percent"]["occasions"] == 0.0
        # The clinic program discontinued on 4 March (its last day the 3rd): from then on the
        # home program is the only one with the exercise, and an entry naming no item on
        # 4 March is its own; the one of 2 March stays ambiguous.
        url = f"/v1/prescriptions/{other['id']}"
        await clinic.patch(
            client, url, other["version"], status="discontinued", status_date="2025-03-04"
        )
        await clinic.session(
            client, "2025-03-04T17:00:00Z", [{"exercise_id": exercise, "repetitions": 5}]
        )
        mine = await client.get(self.url(home), params=window, headers=clinic.headers)
        assert mine.json()["items"][0]["delivered"]["occasions"] == 2  # 3 and 4 March
        # The same in the progress report.
        report = await client.get(
            f"/v1/children/{clinic.child_id}/progress", params=window, headers=clinic.headers
        )
        delivered = {
            a["prescription_id"]: a["items"][0]["delivered"]["occasions"]
            for a in report.json()["adherence"]
        }
        assert delivered == {home["id"]: 2, other["id"]: 0}

    async def test_days_after_today_are_not_counted(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # Hand calculation: once a day, 5 repetitions, from 6 days ago; done every day up to
        # today: 7 of 7 occasions, 35 of 35 repetitions, 100 %. Asked up to a week ahead, the
        # 7 days still ahead were not due yet: counting them (14 days, 14 occasions) would
        # show 50 %. The window says what was counted: `to` is tomorrow.
        today = datetime.now(UTC).date()
        program = await _program_done_daily(client, clinic, today)
        ahead = (today + timedelta(days=8)).isoformat()
        report = (
            await client.get(
                self.url(program),
                params={"from": program["period_start"], "to": ahead},
                headers=clinic.headers,
            )
        ).json()
        tomorrow = (today + timedelta(days=1)).isoformat()
        assert report["window"] == {"from": program["period_start"], "to": tomorrow}
        assert report["active_days"] == 7
        assert report["items"][0]["prescribed"] == {"occasions": 7, "repetitions": 35}
        assert report["overall"]["percent"] == {"occasions": 100.0, "repetitions": 100.0}
        # Only days ahead: nothing counted, no percent.
        later = (
            await client.get(
                self.url(program), params={"from": tomorrow, "to": ahead}, headers=clinic.headers
            )
        ).json()
        assert later["active_days"] == 0
        assert later["overall"]["percent"] == {"occasions": None, "repetitions": None}


async def _program_done_daily(
    client: httpx.AsyncClient, clinic: Clinic, today: date
) -> dict[str, Any]:
    """An open program of 5 repetitions once a day from 6 days before `today`, done each day."""
    start = today - timedelta(days=6)
    program = await make_program(client, clinic, period_start=start.isoformat(), period_end=None)
    item_id = program["items"][0]["id"]
    for day in range(7):
        await clinic.session(
            client,
            f"{(start + timedelta(days=day)).isoformat()}T00:00:00Z",
            [
                {
                    "exercise_id": clinic.exercise_ids[0],
                    "prescription_item_id": item_id,
                    "repetitions": 5,
                }
            ],
        )
    return program


@pytest.mark.usefixtures("serving_path")
class TestProgress:
    def url(self, clinic: Clinic, suffix: str = "") -> str:
        return f"/v1/children/{clinic.child_id}/progress{suffix}"

    async def test_access(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic, headers_for: Headers
    ) -> None:
        for suffix in ("", ".svg"):
            assert (await client.get(self.url(clinic, suffix))).status_code == 401
            partial = await headers_for(
                clinic.tenant,
                "children:read",
                "assessments:read",
                "milestones:read",
                "sessions:read",
            )
            response = await client.get(self.url(clinic, suffix), headers=partial)
            assert response.status_code == 403
            theirs = await client.get(self.url(clinic, suffix), headers=other.headers)
            assert theirs.status_code == 404
            bad = await client.get(
                self.url(clinic, suffix),
                params={"from": "2025-01-01", "to": "2024-01-01"},
                headers=clinic.headers,
            )
            assert bad.status_code == 422

    async def _records(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        base = {"child_id": clinic.child_id, "instrument": "gmfm88", "status": "final"}
        for on, score in (("2024-09-01", 1), ("2025-01-15", 2)):
            await clinic.post(
                client,
                "/v1/assessments",
                **base,
                performed_on=on,
                items={str(n): score for n in range(1, 89)},
            )
        await clinic.post(
            client,
            "/v1/assessments",
            child_id=clinic.child_id,
            instrument="gmfcs",
            status="final",
            performed_on="2025-01-15",
            entered={"level": 2},
        )
        await clinic.milestone(client, "sitting_without_support", "2024-08-20")
        await clinic.milestone(client, "standing_alone", "2025-03-20")  # after the period
        dmi = {"type": "dmi", "setting": "clinic", "practitioner_id": clinic.practitioner_id}
        sitting = clinic.exercise_ids[0]
        for started_at, point, minutes in (
            ("2024-10-01T09:00:00Z", "trunk", 50),
            ("2024-11-01T09:00:00Z", "pelvis", 45),
        ):
            await clinic.session(
                client,
                started_at,
                [{"exercise_id": sitting, "support_point": point, "response": "partial"}],
                duration_minutes=minutes,
                **dmi,
            )
        await clinic.session(client, "2024-12-01T09:00:00Z", [], attendance="no_show", **dmi)
        await clinic.session(client, "2024-12-02T18:00:00Z", [])

    async def test_report(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        await self._records(client, clinic)
        response = await client.get(
            self.url(clinic),
            params={"from": "2024-06-01", "to": "2025-02-01"},
            headers=clinic.headers,
        )
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["period_from"], report["period_to"]) == ("2024-06-01", "2025-02-01")
        assert report["age"]["as_of"] == "2025-01-31"
        assert report["age"]["chronological_days"] == 396
        gmfm = next(i for i in report["instruments"] if i["instrument"] == "gmfm88")
        assert gmfm["latest"]["value"] == pytest.approx(66.67, abs=0.01)
        assert gmfm["previous"]["value"] == pytest.approx(33.33, abs=0.01)
        # The change is of the shown (2-decimal) values: 66.67 - 33.33.
        assert gmfm["change"] == 33.34
        gmfcs = next(i for i in report["instruments"] if i["instrument"] == "gmfcs")
        assert (gmfcs["latest"]["measure"], gmfcs["latest"]["value"]) == ("level", 2)
        assert [p["performed_on"] for p in report["gmfm88_series"]] == ["2024-09-01", "2025-01-15"]
        statuses = _windows(report["milestones"])
        assert statuses["sitting_without_support"] == "achieved_within"
        assert statuses["standing_alone"] == "within_window"  # achieved only after the period
        sessions = {s["type"]: s for s in report["sessions"]}
        assert sessions["dmi"] == {
            "type": "dmi",
            "attended": 2,
            "cancelled": 0,
            "no_show": 1,
            "minutes": 95,
        }
        assert sessions["home_practice"]["attended"] == 1
        [progression] = report["support_points"]
        assert progression["code"] == "SIT-1"
        assert [u["support_point"] for u in progression["uses"]] == ["trunk", "pelvis"]
        assert report["adherence"] == []

    async def test_adherence_of_active_programs(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        program = await make_program(client, clinic)
        item_id = program["items"][0]["id"]
        await clinic.session(
            client,
            "2025-03-02T17:00:00Z",
            [
                {
                    "exercise_id": clinic.exercise_ids[0],
                    "prescription_item_id": item_id,
                    "repetitions": 5,
                }
            ],
        )
        report = (
            await client.get(
                self.url(clinic),
                params={"from": "2025-03-01", "to": "2025-03-08"},
                headers=clinic.headers,
            )
        ).json()
        [adherence] = report["adherence"]
        assert adherence["prescription_id"] == program["id"]
        assert adherence["items"][0]["prescribed"]["occasions"] == 7
        assert adherence["items"][0]["delivered"]["occasions"] == 1

    async def test_adherence_counts_no_day_after_today(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # As the adherence endpoint: done on each of the 7 days up to today, 7 of 7 = 100 %,
        # not 7 of 14 = 50 % for a period asked up to a week ahead.
        today = datetime.now(UTC).date()
        program = await _program_done_daily(client, clinic, today)
        report = (
            await client.get(
                self.url(clinic),
                params={
                    "from": program["period_start"],
                    "to": (today + timedelta(days=8)).isoformat(),
                },
                headers=clinic.headers,
            )
        ).json()
        [adherence] = report["adherence"]
        assert adherence["active_days"] == 7
        assert adherence["window"]["to"] == (today + timedelta(days=1)).isoformat()
        assert adherence["overall"]["percent"] == {"occasions": 100.0, "repetitions": 100.0}

    async def test_windows_and_age_are_judged_no_later_than_today(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # A child of 270 days asked for a period a month ahead: sitting without support (WHO
        # window 3.8-9.2 months, to day 9.2 x 30.4375 = 280.0) is within its window today; on
        # the period's last day (300 days) it would be `late`, a delay not yet there.
        today = datetime.now(UTC).date()
        born = (today - timedelta(days=270)).isoformat()
        child = await clinic.post(
            client, "/v1/children", given_name="A", family_name="B", birth_date=born, sex="male"
        )
        response = await client.get(
            f"/v1/children/{child['id']}/progress",
            params={"from": born, "to": (today + timedelta(days=31)).isoformat()},
            headers=clinic.headers,
        )
        assert response.status_code == 200, response.text
        report = response.json()
        sitting = next(
            w for w in report["milestones"] if w["milestone"] == "sitting_without_support"
        )
        assert sitting["status"] == "within_window"
        assert report["age"]["as_of"] == today.isoformat()
        assert report["age"]["chronological_days"] == 270

    async def test_svg_points_match_the_data(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        await self._records(client, clinic)
        params = {"from": "2024-06-01", "to": "2025-02-01"}
        report = (await client.get(self.url(clinic), params=params, headers=clinic.headers)).json()
        response = await client.get(self.url(clinic, ".svg"), params=params, headers=clinic.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(response.text)  # noqa: S314 - our own output, under test
        assert root.tag == f"{SVG}svg"
        circles = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "series-point"]
        expected = [(p["performed_on"], p["total_percent"]) for p in report["gmfm88_series"]]
        assert [c.get("data-date") for c in circles] == [on for on, _ in expected]
        values = [float(c.get("data-value", "nan")) for c in circles]
        assert values == pytest.approx([value for _, value in expected], abs=0.005)
        xs = [float(c.get("cx", "0")) for c in circles]
        ys = [float(c.get("cy", "0")) for c in circles]
        assert xs[0] < xs[1]  # later
        assert ys[1] < ys[0]  # and higher on the chart
        events = [e for e in root.iter(f"{SVG}line") if e.get("class") == "milestone"]
        assert [(e.get("data-date"), e.get("data-milestone")) for e in events] == [
            ("2024-08-20", "sitting without support")
        ]
        names = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "milestone-label"]
        assert names == ["sitting without support"]
        desc = root.find(f"{SVG}desc")
        assert desc is not None
        assert "milestones achieved: sitting without support (2024-08-20)" in (desc.text or "")
        # No PHI in the chart: the child's name is not drawn.
        assert "Mia" not in response.text
