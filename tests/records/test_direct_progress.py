"""The progress report from two direct statements (PostgreSQL), equal to the session path's.

A history that reaches every part of the report (and every filter of its queries: drafts,
tombstones, other children, other clinics, days outside the period) is compared on both paths
for several periods, as JSON and as SVG.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from dmi_api.tenant_scope import bind_settings
from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.direct import audit_rows, both_paths, without_request_id
from tests.support.insights import make_clinic, make_program, pause_and_resume
from tests.support.records import seed_child
from tests.support.tenants import TenantClient, disable_client

pytestmark = pytest.mark.postgres_only


@pytest.fixture
async def kid(app: FastAPI, tenant_a: TenantClient, headers_for: Headers) -> Clinic:
    return await make_clinic(app, tenant_a, headers_for)


@pytest.fixture
async def theirs(app: FastAPI, tenant_b: TenantClient, headers_for: Headers) -> Clinic:
    return await make_clinic(app, tenant_b, headers_for)


async def _delete(client: httpx.AsyncClient, clinic: Clinic, url: str, row: dict[str, Any]) -> None:
    headers = {**clinic.headers, "If-Match": f'"{row["version"]}"'}
    response = await client.delete(f"{url}/{row['id']}", headers=headers)
    assert response.status_code == 204, response.text


async def _sql(app: FastAPI, clinic: Clinic, statement: str, **values: Any) -> None:
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic.tenant.clinic_id)
        await db.execute(text(statement), values)
        await db.commit()


async def _history(
    app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, sibling: str | None
) -> None:
    """Two years of records of a child born on 2024-01-01, and a few of its sibling's; two rows
    changed behind the API's back, which only the queries' own filters leave out: a draft with
    scores and a removed item."""
    gmfm = {"child_id": clinic.child_id, "instrument": "gmfm88", "status": "final"}
    for on, score in (("2024-03-01", 0), ("2024-09-01", 1), ("2025-01-15", 2)):
        items = {str(n): score for n in range(1, 89)}
        await clinic.post(client, "/v1/assessments", **gmfm, performed_on=on, items=items)
    draft = await clinic.post(
        client,
        "/v1/assessments",
        **{**gmfm, "status": "draft"},
        performed_on="2025-01-20",
        items={str(n): 3 for n in range(1, 89)},
    )
    gone = await clinic.post(
        client,
        "/v1/assessments",
        **gmfm,
        performed_on="2025-01-10",
        items={str(n): 3 for n in range(1, 89)},
    )
    await _delete(client, clinic, "/v1/assessments", gone)
    for on, level in (("2024-06-01", 3), ("2025-01-15", 2)):
        await clinic.post(
            client,
            "/v1/assessments",
            child_id=clinic.child_id,
            instrument="gmfcs",
            status="final",
            performed_on=on,
            entered={"level": level},
        )
    for code, on in (
        ("sitting_without_support", "2024-08-20"),
        ("sitting_without_support", "2024-08-02"),  # the earlier one counts
        ("head_control", "2024-04-01"),  # not a WHO milestone
        ("standing_alone", "2025-03-20"),
    ):
        await clinic.milestone(client, code, on)
    crawl = await clinic.post(
        client,
        "/v1/milestones",
        child_id=clinic.child_id,
        milestone="hands_and_knees_crawling",
        achieved_on="2024-09-09",
    )
    await _delete(client, clinic, "/v1/milestones", crawl)
    program = await make_program(client, clinic)
    item_id = program["items"][0]["id"]
    await pause_and_resume(client, clinic, program, "2025-03-08", "2025-03-12")
    await make_program(client, clinic, status="draft")
    # Finished: it counts in the periods it ran in (1-19 September 2024), not after.
    finished = await make_program(
        client, clinic, period_start="2024-09-01", period_end="2024-09-30"
    )
    await clinic.patch(
        client,
        f"/v1/prescriptions/{finished['id']}",
        finished["version"],
        status="completed",
        status_date="2024-09-20",
    )
    dropped = await make_program(client, clinic, period_start="2024-10-01", period_end=None)
    await _delete(client, clinic, "/v1/prescriptions", dropped)
    longer = await make_program(client, clinic, period_start="2024-11-01", period_end=None)
    removed = await make_program(client, clinic, period_start="2024-12-01", period_end=None)
    await _sql(
        app,
        clinic,
        "UPDATE prescription_item SET removed_at = now(), prescription_id = :to WHERE id = :id",
        id=uuid.UUID(removed["items"][0]["id"]),
        to=uuid.UUID(longer["id"]),
    )
    await _delete(client, clinic, "/v1/prescriptions", removed)
    dmi = {"type": "dmi", "setting": "clinic", "practitioner_id": clinic.practitioner_id}
    sitting, standing = clinic.exercise_ids
    for started_at, point, minutes in (
        ("2024-02-01T09:00:00Z", "trunk", 30),
        ("2024-10-01T09:00:00Z", "trunk", 50),
        ("2024-11-01T23:30:00-05:00", "pelvis", 45),  # the 2nd in UTC, the 1st where it was
        ("2024-11-03T00:00:00Z", "pelvis", 20),  # the first instant after a one-day period
        ("2024-11-03T01:00:00+02:00", "pelvis", 25),  # the 2nd in UTC, the 3rd where it was
        ("2024-11-02T23:00:00-03:00", "trunk", 35),  # the 3rd in UTC, the 2nd where it was
        ("2025-03-03T09:00:00Z", "thighs", 40),
    ):
        await clinic.session(
            client,
            started_at,
            [
                {"exercise_id": sitting, "support_point": point, "response": "partial"},
                {"exercise_id": standing, "support_point": "knees", "repetitions": 3},
                {"exercise_id": standing, "repetitions": 2},
            ],
            duration_minutes=minutes,
            **dmi,
        )
    await clinic.session(client, "2024-12-01T09:00:00Z", [], attendance="no_show", **dmi)
    await clinic.session(
        client,
        "2024-12-05T09:00:00Z",
        [{"exercise_id": sitting, "support_point": "trunk"}],
        attendance="cancelled",
        **dmi,
    )
    for day in range(1, 8):
        await clinic.session(
            client,
            f"2025-03-{day:02d}T17:00:00Z",
            [{"exercise_id": sitting, "prescription_item_id": item_id, "repetitions": 5}],
        )
    deleted = await clinic.session(
        client, "2025-03-09T17:00:00Z", [{"exercise_id": sitting, "support_point": "ankles"}]
    )
    await _delete(client, clinic, "/v1/session-records", deleted)
    if sibling is not None:
        await clinic.session(
            client,
            "2025-03-10T17:00:00Z",
            [{"exercise_id": sitting, "support_point": "ankles"}],
            child_id=sibling,
        )
    # Last: every assessment written through the API rescores the child's others.
    await _sql(
        app,
        clinic,
        "UPDATE assessment SET scores = (SELECT scores FROM assessment WHERE child_id = :child"
        " AND instrument = 'gmfm88' AND status = 'final' AND deleted_at IS NULL"
        " ORDER BY performed_on DESC LIMIT 1) WHERE id = :id",
        id=uuid.UUID(draft["id"]),
        child=uuid.UUID(clinic.child_id),
    )


PERIODS = [
    {},
    {"from": "2024-06-01", "to": "2025-02-01"},
    {"from": "2023-01-01"},  # before birth: from birth
    {"to": "2025-03-05"},
    {"to": "2025-01-16"},  # the last day has assessments
    {"from": "2025-03-01", "to": "2025-03-15"},
    {"from": "2024-11-02", "to": "2024-11-03"},  # one day (local dates decide)
    {"from": "2024-09-10", "to": "2024-10-01"},  # a finished program's last days
    {"from": "2026-01-01"},  # nothing recorded
]


class TestProgressPaths:
    @pytest.mark.parametrize("period", PERIODS)
    async def test_the_report_and_its_chart_equal_the_session_path(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        kid: Clinic,
        theirs: Clinic,
        tenant_a: TenantClient,
        period: dict[str, str],
    ) -> None:
        sibling = await seed_child(app, tenant_a, birth_date=date(2024, 1, 1))
        await _history(app, client, kid, str(sibling.id))
        await _history(app, client, theirs, None)
        query = "&".join(f"{k}={v}" for k, v in period.items())
        for suffix in ("", ".svg"):
            path = f"/v1/children/{kid.child_id}/progress{suffix}?{query}"
            direct, session = await both_paths(app, client, path, kid.headers)
            assert direct.status_code == session.status_code == 200, direct.text
            assert direct.content == session.content
            assert direct.headers["content-type"] == session.headers["content-type"]
        report = (
            await client.get(f"/v1/children/{kid.child_id}/progress?{query}", headers=kid.headers)
        ).json()
        if period == {"from": "2024-11-02", "to": "2024-11-03"}:
            # Of the four sessions around 2 November, one was on the 2nd where it happened.
            assert report["sessions"] == [
                {"type": "dmi", "attended": 1, "cancelled": 0, "no_show": 0, "minutes": 35}
            ]
        if period == {"from": "2024-09-10", "to": "2024-10-01"}:
            [finished] = [a for a in report["adherence"] if a["status"] == "completed"]
            assert finished["window"] == {"from": "2024-09-10", "to": "2024-09-20"}
        if not period:  # the whole history: every part of the report is there
            assert {i["instrument"] for i in report["instruments"]} == {"gmfm88", "gmfcs"}
            assert len(report["gmfm88_series"]) == 3
            assert {s["type"] for s in report["sessions"]} == {"dmi", "home_practice"}
            assert len(report["adherence"]) == 3
            assert {a["status"] for a in report["adherence"]} == {"active", "completed"}
            assert [p["code"] for p in report["support_points"]] == ["SIT-1", "STAND-1"]
            achieved = {w["milestone"]: w["achieved_on"] for w in report["milestones"]}
            assert achieved["sitting_without_support"] == "2024-08-02"
            assert achieved["hands_and_knees_crawling"] is None

    @pytest.mark.parametrize(
        "period",
        [{"from": "2025-01-01", "to": "2024-01-01"}, {"to": "2023-06-01"}, {"from": "x"}],
    )
    async def test_a_bad_period_is_the_same_422(
        self, app: FastAPI, client: httpx.AsyncClient, kid: Clinic, period: dict[str, str]
    ) -> None:
        query = "&".join(f"{k}={v}" for k, v in period.items())
        path = f"/v1/children/{kid.child_id}/progress?{query}"
        direct, session = await both_paths(app, client, path, kid.headers)
        assert direct.status_code == session.status_code == 422
        assert without_request_id(direct.json()) == without_request_id(session.json())

    async def test_other_clinics_and_deleted_children_are_404(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        kid: Clinic,
        theirs: Clinic,
        tenant_a: TenantClient,
    ) -> None:
        gone = await seed_child(app, tenant_a, deleted_at=datetime.now(UTC))
        for child_id in (theirs.child_id, str(gone.id), str(uuid.uuid4())):
            path = f"/v1/children/{child_id}/progress"
            direct, session = await both_paths(app, client, path, kid.headers)
            assert direct.status_code == session.status_code == 404
            assert without_request_id(direct.json()) == without_request_id(session.json())


class TestProgressAudit:
    async def test_a_report_is_one_audited_read_and_a_refused_period_none(
        self, client: httpx.AsyncClient, db_connection: AsyncConnection, kid: Clinic
    ) -> None:
        child = uuid.UUID(kid.child_id)
        for params, expected in (
            ({}, [("read", "progress", str(child), child, 200)]),
            ({"from": "2025-01-01", "to": "2024-01-01"}, []),
        ):
            request_id = f"req-{uuid.uuid4().hex}"
            response = await client.get(
                f"/v1/children/{child}/progress",
                params=params,
                headers={**kid.headers, "X-Request-ID": request_id},
            )
            assert response.status_code == (200 if expected else 422)
            rows = await audit_rows(db_connection, request_id, kid.tenant.clinic_id)
            seen = [
                (row.action, row.resource_type, row.resource_id, row.child_id, row.outcome)
                for row in rows
                if row.action != "denied"
            ]
            assert seen == expected

    async def test_a_disabled_client_and_a_missing_scope_read_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, kid: Clinic, headers_for: Headers
    ) -> None:
        path = f"/v1/children/{kid.child_id}/progress"
        partial = await headers_for(kid.tenant, "children:read", "sessions:read")
        assert (await client.get(path, headers=partial)).status_code == 403
        assert (await client.get(path, headers=kid.headers)).status_code == 200
        await disable_client(app, kid.tenant)
        response = await client.get(path, headers=kid.headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
