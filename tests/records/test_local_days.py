"""Adherence on the records' local dates, finished programs in their own periods, and a crawl
never observed (issue 13, points 3, 4 and 6), through the API on every database path.

The child was born at term on 2024-01-01. The home program runs 1-14 March 2026: 5 repetitions,
once a day, every day (7 occasions and 35 repetitions a week); it is paused from 8 March and
active again on 12 March (8, 9, 10 and 11 March are paused).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from dmi_api.models import SessionRecord
from dmi_api.services.adherence import local_day, runs_until, started_between
from dmi_api.tenant_scope import bind_settings
from tests.conftest import BACKEND
from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.direct import both_paths, serve_with
from tests.support.insights import make_clinic, make_program, pause_and_resume
from tests.support.tenants import TenantClient

SETTINGS = "/v1/clinic-settings"
MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-14"}
WRITE_PATHS = ["direct", "session"] if BACKEND == "postgres" else ["session"]


@pytest.fixture
async def clinic(app: FastAPI, tenant_a: TenantClient, headers_for: Headers) -> Clinic:
    return await make_clinic(app, tenant_a, headers_for)


@pytest.fixture(params=WRITE_PATHS)
async def write_path(request: pytest.FixtureRequest, app: FastAPI) -> AsyncIterator[str]:
    """POST session records through the one-statement direct path or the ORM session path."""
    direct = app.state.direct
    if request.param == "session":
        serve_with(app, None)
    app.state.test_reads_direct = direct  # reads still compare both paths
    try:
        yield request.param
    finally:
        serve_with(app, direct)
        del app.state.test_reads_direct


OFFSET = col(SessionRecord.started_at_utc_offset_minutes)


async def _offsets(app: FastAPI, clinic: Clinic, **where: str) -> dict[str, int | None]:
    """The kept UTC offset of the child's records (or of the record `id`), by record id."""
    condition = (
        col(SessionRecord.id) == uuid.UUID(where["id"])
        if "id" in where
        else col(SessionRecord.child_id) == uuid.UUID(clinic.child_id)
    )
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic.tenant.clinic_id)
        rows = await db.execute(select(col(SessionRecord.id), OFFSET).where(condition))
        return {str(row_id): offset for row_id, offset in rows.all()}


async def _forget_offset(app: FastAPI, clinic: Clinic, record_id: str) -> None:
    """Make a record look stored before offsets were kept."""
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic.tenant.clinic_id)
        statement = (
            update(SessionRecord)
            .where(col(SessionRecord.id) == uuid.UUID(record_id))
            .values(started_at_utc_offset_minutes=None)
        )
        await db.execute(statement)
        await db.commit()


async def _settings(client: httpx.AsyncClient, clinic: Clinic, **fields: Any) -> None:
    current = await client.get(SETTINGS, headers=clinic.headers)
    response = await client.put(
        SETTINGS, json=fields, headers={**clinic.headers, "If-Match": current.headers["etag"]}
    )
    assert response.status_code == 200, response.text


async def _log(
    client: httpx.AsyncClient, clinic: Clinic, started_at: str, item_id: str, **more: Any
) -> dict[str, Any]:
    """A caregiver's home-practice log of 5 repetitions of the program's item."""
    entry = {"exercise_id": clinic.exercise_ids[0], "prescription_item_id": item_id}
    return await clinic.session(client, started_at, [{**entry, "repetitions": 5}], **more)


async def _adherence(
    client: httpx.AsyncClient, clinic: Clinic, program: dict[str, Any], **window: str
) -> dict[str, Any]:
    response = await client.get(
        f"/v1/prescriptions/{program['id']}/adherence", params=window, headers=clinic.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _progress(
    app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, query: str
) -> dict[str, Any]:
    """The progress report, the same on both read paths on PostgreSQL."""
    path = f"/v1/children/{clinic.child_id}/progress?{query}"
    if BACKEND == "postgres":
        writes = app.state.direct
        serve_with(app, getattr(app.state, "test_reads_direct", writes))
        try:
            direct, session = await both_paths(app, client, path, clinic.headers)
        finally:
            serve_with(app, writes)
        assert direct.status_code == session.status_code == 200, direct.text
        assert direct.json() == session.json()
        return dict(direct.json())
    response = await client.get(path, headers=clinic.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _delivered(item: dict[str, Any]) -> tuple[int, int]:
    return item["delivered"]["occasions"], item["delivered"]["repetitions"]


class TestStartedAtOffset:
    async def test_both_write_paths_keep_the_offset_the_client_sent(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, write_path: str
    ) -> None:
        program = await make_program(client, clinic, **MARCH)
        item_id = program["items"][0]["id"]
        sent = {
            "2026-03-07T20:00:00-08:00": -480,
            "2026-03-07T20:00:00Z": 0,  # an explicit Z is the offset the client sent: UTC
            "2026-03-07T20:00:00+05:45": 345,
        }
        ids = {}
        for started_at in sent:
            record = await _log(client, clinic, started_at, item_id)
            ids[record["id"]] = sent[started_at]
        # The body still shows the instant in UTC.
        assert record["started_at"] == "2026-03-07T14:15:00Z"
        assert await _offsets(app, clinic) == ids

    async def test_a_patch_of_started_at_keeps_its_new_offset(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        record = await clinic.session(client, "2026-03-07T20:00:00-08:00", [])
        url = f"/v1/session-records/{record['id']}"
        patched = await clinic.patch(
            client, url, record["version"], started_at="2026-03-08T05:00:00+01:00"
        )
        assert patched["started_at"] == "2026-03-08T04:00:00Z"
        assert await _offsets(app, clinic, id=record["id"]) == {record["id"]: 60}
        # A PATCH without `started_at` leaves it alone.
        await clinic.patch(client, url, patched["version"], duration_minutes=30)
        assert await _offsets(app, clinic, id=record["id"]) == {record["id"]: 60}


class TestAdherenceDay:
    async def test_evening_practice_counts_on_its_local_day_before_a_pause(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, write_path: str
    ) -> None:
        program = await make_program(client, clinic, **MARCH)
        item_id = program["items"][0]["id"]
        await pause_and_resume(client, clinic, program, "2026-03-08", "2026-03-12")
        # 7 March at 20:00 in California is 8 March 04:00 UTC: it belongs to 7 March.
        await _log(client, clinic, "2026-03-07T20:00:00-08:00", item_id)
        # 12 March at 01:00 in Athens is 11 March 23:00 UTC (paused): it belongs to 12 March.
        await _log(client, clinic, "2026-03-12T01:00:00+02:00", item_id)
        first_week = await _adherence(
            client, clinic, program, **{"from": "2026-03-01"}, to="2026-03-08"
        )
        # 1-7 March: 7 active days, 7 occasions and 35 repetitions prescribed; the log of
        # 7 March delivered 1 occasion of 5 repetitions.
        assert (first_week["active_days"], first_week["paused_days"]) == (7, 0)
        [item] = first_week["items"]
        assert item["prescribed"] == {"occasions": 7, "repetitions": 35}
        assert _delivered(item) == (1, 5)
        assert item["delivered"]["by_source"]["home"] == {"occasions": 1, "repetitions": 5}
        whole = await _adherence(client, clinic, program, **{"from": "2026-03-01"}, to="2026-03-15")
        # 14 days less 4 paused = 10 active: 10 occasions, 50 repetitions; both logs count.
        assert (whole["active_days"], whole["paused_days"]) == (10, 4)
        assert _delivered(whole["items"][0]) == (2, 10)
        assert whole["items"][0]["percent"]["occasions"] == 20.0
        report = await _progress(app, client, clinic, "from=2026-03-01&to=2026-03-08")
        [adherence] = report["adherence"]
        assert _delivered(adherence["items"][0]) == (1, 5)
        # The session is in the report's period too (on its local date).
        assert report["sessions"] == [
            {"type": "home_practice", "attended": 1, "cancelled": 0, "no_show": 0, "minutes": 20}
        ]

    async def test_a_zero_repetition_log_delivers_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic, write_path: str
    ) -> None:
        program = await make_program(client, clinic, **MARCH)
        entry = {
            "exercise_id": clinic.exercise_ids[0],
            "prescription_item_id": program["items"][0]["id"],
        }
        await clinic.session(client, "2026-03-02T17:00:00Z", [{**entry, "repetitions": 5}])
        await clinic.session(client, "2026-03-03T17:00:00Z", [{**entry, "repetitions": 0}])
        await clinic.session(client, "2026-03-04T17:00:00Z", [{**entry, "sets": 0}])
        week = await _adherence(client, clinic, program, **{"from": "2026-03-01"}, to="2026-03-08")
        assert _delivered(week["items"][0]) == (1, 5)

    async def test_rows_without_an_offset_count_in_the_clinic_time_zone(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        program = await make_program(client, clinic, **MARCH)
        record = await _log(client, clinic, "2026-03-08T04:00:00Z", program["items"][0]["id"])
        week = {"from": "2026-03-01", "to": "2026-03-08"}
        # Sent with Z: UTC, 8 March, whatever the clinic's zone.
        await _settings(client, clinic, time_zone="America/Los_Angeles")
        assert _delivered((await _adherence(client, clinic, program, **week))["items"][0]) == (0, 0)
        # As a row stored before offsets were kept: the clinic's zone decides (7 March there).
        await _forget_offset(app, clinic, record["id"])
        assert _delivered((await _adherence(client, clinic, program, **week))["items"][0]) == (1, 5)
        report = await _progress(app, client, clinic, "from=2026-03-01&to=2026-03-08")
        assert _delivered(report["adherence"][0]["items"][0]) == (1, 5)
        # In UTC (the default) it is 8 March: outside the first week.
        await _settings(client, clinic)
        assert _delivered((await _adherence(client, clinic, program, **week))["items"][0]) == (0, 0)
        report = await _progress(app, client, clinic, "from=2026-03-01&to=2026-03-08")
        assert _delivered(report["adherence"][0]["items"][0]) == (0, 0)
        assert report["sessions"] == []


class TestFinishedPrograms:
    async def test_a_completed_program_shows_in_its_own_period(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # Two weeks of February: 14 occasions, 70 repetitions; logged on 7 days of the first.
        program = await make_program(
            client, clinic, period_start="2026-02-02", period_end="2026-02-15"
        )
        for day in range(2, 9):
            await _log(client, clinic, f"2026-02-{day:02d}T17:00:00Z", program["items"][0]["id"])
        await clinic.patch(
            client,
            f"/v1/prescriptions/{program['id']}",
            program["version"],
            status="completed",
            status_date="2026-02-16",
        )
        report = await _progress(app, client, clinic, "from=2026-02-02&to=2026-02-16")
        [adherence] = report["adherence"]
        assert adherence["prescription_id"] == program["id"]
        assert adherence["status"] == "completed"
        assert adherence["active_days"] == 14
        [item] = adherence["items"]
        assert item["prescribed"] == {"occasions": 14, "repetitions": 70}
        assert _delivered(item) == (7, 35)
        assert item["percent"] == {"occasions": 50.0, "repetitions": 50.0}
        # Not in a period after it ended.
        later = await _progress(app, client, clinic, "from=2026-03-01&to=2026-03-08")
        assert later["adherence"] == []

    async def test_a_discontinued_program_counts_until_it_stopped(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # Open-ended from 2 February, discontinued on 9 February: 2-8 February ran (7 days).
        program = await make_program(client, clinic, period_start="2026-02-02", period_end=None)
        for day in (3, 5, 9, 10):  # the logs after it stopped count for nothing
            await _log(client, clinic, f"2026-02-{day:02d}T17:00:00Z", program["items"][0]["id"])
        await clinic.patch(
            client,
            f"/v1/prescriptions/{program['id']}",
            program["version"],
            status="discontinued",
            status_date="2026-02-09",
        )
        report = await _progress(app, client, clinic, "from=2026-02-01&to=2026-03-01")
        [adherence] = report["adherence"]
        assert adherence["status"] == "discontinued"
        assert adherence["window"] == {"from": "2026-02-02", "to": "2026-02-09"}
        assert adherence["active_days"] == 7
        [item] = adherence["items"]
        assert item["prescribed"] == {"occasions": 7, "repetitions": 35}
        assert _delivered(item) == (2, 10)
        # Its own adherence, by default, runs to the day it stopped (`to` is exclusive).
        alone = await _adherence(client, clinic, program)
        assert alone["window"] == {"from": "2026-02-02", "to": "2026-02-09"}
        assert _delivered(alone["items"][0]) == (2, 10)
        later = await _progress(app, client, clinic, "from=2026-02-09&to=2026-03-01")
        assert later["adherence"] == []

    async def test_a_draft_discontinued_never_ran(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        program = await make_program(client, clinic, status="draft", **MARCH)
        await clinic.patch(
            client,
            f"/v1/prescriptions/{program['id']}",
            program["version"],
            status="discontinued",
            status_date="2026-03-05",
        )
        report = await _progress(app, client, clinic, "from=2026-03-01&to=2026-03-15")
        assert report["adherence"] == []


class TestCrawlingNotObserved:
    async def test_a_crawl_never_seen_is_not_observed_unless_the_clinic_expects_it(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # 2025-03-01 is 425 days (13.96 months): past every window but standing and walking
        # alone (crawling ends at 13.5 months); sitting was seen, nothing else.
        await clinic.milestone(client, "sitting_without_support", "2024-07-01")
        url = f"/v1/children/{clinic.child_id}/milestone-windows"
        expected = {
            "sitting_without_support": "achieved_within",
            "standing_with_assistance": "late",
            "hands_and_knees_crawling": "not_observed",
            "walking_with_assistance": "late",
            "standing_alone": "within_window",
            "walking_alone": "within_window",
        }
        for crawling_expected in (False, True):
            await _settings(client, clinic, crawling_expected=crawling_expected)
            if crawling_expected:
                expected["hands_and_knees_crawling"] = "late"
            response = await client.get(url, params={"as_of": "2025-03-01"}, headers=clinic.headers)
            assert response.status_code == 200
            assert {w["milestone"]: w["status"] for w in response.json()} == expected
            assert {w["rule"] for w in response.json()} == {"who-mgrs-2006@2"}
            report = await _progress(app, client, clinic, "from=2025-02-01&to=2025-03-02")
            assert {w["milestone"]: w["status"] for w in report["milestones"]} == expected


class _Row:
    """A session record's start, as the report rows give it."""

    def __init__(self, started_at: datetime, offset: int | None) -> None:
        self.started_at = started_at
        self.started_at_utc_offset_minutes = offset


class TestLocalDayRule:
    def test_the_offset_sent_decides_else_the_clinic_zone(self) -> None:
        instant = datetime(2026, 3, 8, 4, 0, tzinfo=UTC)  # 2026-03-07T20:00-08:00
        los_angeles = ZoneInfo("America/Los_Angeles")
        assert local_day(_Row(instant, -480), UTC) == date(2026, 3, 7)
        assert local_day(_Row(instant, 0), los_angeles) == date(2026, 3, 8)  # Z: UTC
        assert local_day(_Row(instant, None), los_angeles) == date(2026, 3, 7)
        assert local_day(_Row(instant, None), UTC) == date(2026, 3, 8)
        # Nepal, +05:45: 18:15 UTC on the 7th is 00:00 on the 8th there.
        assert local_day(_Row(datetime(2026, 3, 7, 18, 15, tzinfo=UTC), 345), UTC) == date(
            2026, 3, 8
        )

    def test_the_calendar_ends_do_not_overflow(self) -> None:
        assert started_between(date.min, date.max) == (
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, tzinfo=UTC),
        )
        first = datetime(1, 1, 1, 1, 0, tzinfo=UTC)
        assert local_day(_Row(first, None), ZoneInfo("America/Los_Angeles")) == date(1, 1, 1)

    def test_a_program_runs_until_the_day_before_it_ended(self) -> None:
        def row(period_end: date | None, ended_on: date | None) -> Any:
            return SimpleNamespace(period_end=period_end, ended_on=ended_on)

        assert runs_until(row(None, None)) is None
        assert runs_until(row(date(2026, 2, 15), None)) == date(2026, 2, 15)
        assert runs_until(row(None, date(2026, 2, 9))) == date(2026, 2, 8)
        assert runs_until(row(date(2026, 2, 15), date(2026, 2, 16))) == date(2026, 2, 15)
        assert runs_until(row(date(2026, 2, 15), date(2026, 2, 9))) == date(2026, 2, 8)
        assert runs_until(row(None, date.min)) == date.min


def _far_zone() -> tuple[str, str]:
    """A clinic time zone whose date differs from UTC's right now, and its offset: Kiritimati
    (UTC+14) is a day ahead from 10:00 UTC, Pago Pago (UTC-11) a day behind until 11:00 UTC
    (each chosen with half an hour to spare, so the dates hold for the whole test)."""
    now = datetime.now(UTC)
    if (now.hour, now.minute) >= (10, 30):
        return "Pacific/Kiritimati", "+14:00"
    return "Pacific/Pago_Pago", "-11:00"


class TestTheClinicsToday:
    async def test_a_status_change_without_a_date_and_the_default_window_use_the_clinic_date(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        # "Today" is the clinic's date (its time zone), as for what falls due: a program
        # completed this morning in Kiritimati runs until yesterday there, and yesterday's log
        # counts; on the UTC date it ended a day early (or late, in Pago Pago).
        zone, offset = _far_zone()
        await _settings(client, clinic, time_zone=zone)
        today = datetime.now(ZoneInfo(zone)).date()
        start, yesterday = today - timedelta(days=6), today - timedelta(days=1)
        program = await make_program(
            client,
            clinic,
            period_start=start.isoformat(),
            period_end=(today + timedelta(days=7)).isoformat(),
        )
        await _log(
            client, clinic, f"{yesterday.isoformat()}T12:00:00{offset}", program["items"][0]["id"]
        )
        # Open: the default window runs up to the clinic's today (`to` the day after).
        running = await _adherence(client, clinic, program)
        assert running["window"] == {
            "from": start.isoformat(),
            "to": (today + timedelta(days=1)).isoformat(),
        }
        assert running["active_days"] == 7
        done = await clinic.patch(
            client, f"/v1/prescriptions/{program['id']}", program["version"], status="completed"
        )
        assert done["ended_on"] == today.isoformat()
        finished = await _adherence(client, clinic, program)
        assert finished["window"] == {"from": start.isoformat(), "to": today.isoformat()}
        assert finished["active_days"] == 6
        assert _delivered(finished["items"][0]) == (1, 5)

    async def test_ages_reports_and_windows_default_to_the_clinic_date(
        self, client: httpx.AsyncClient, clinic: Clinic, serving_path: str
    ) -> None:
        # A child's ages, a report's default end and the milestone windows' default day are
        # the clinic's today, as a status change's: in Kiritimati (or Pago Pago) not UTC's.
        zone, _offset = _far_zone()
        await _settings(client, clinic, time_zone=zone)
        today = datetime.now(ZoneInfo(zone)).date()
        child = f"/v1/children/{clinic.child_id}"

        async def get(path: str, **params: str) -> Any:
            response = await client.get(path, params=params, headers=clinic.headers)
            assert response.status_code == 200, response.text
            return response.json()

        assert (await get(child))["age"]["as_of"] == today.isoformat()
        listed = await get("/v1/children")
        assert [row["age"]["as_of"] for row in listed["data"]] == [today.isoformat()]
        report = await get(f"{child}/progress")
        assert report["period_to"] == (today + timedelta(days=1)).isoformat()
        assert report["age"]["as_of"] == today.isoformat()
        windows = await get(f"{child}/milestone-windows")
        assert windows == await get(f"{child}/milestone-windows", as_of=today.isoformat())
        assert windows != await get(
            f"{child}/milestone-windows", as_of=datetime.now(UTC).date().isoformat()
        )
