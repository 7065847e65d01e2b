"""The golden child of the charts (docs/charts-*.png): a child born at 30 weeks, seen for a
year, with four GMFM-88 and their goal dimensions, WHO milestones three of which fall within
three weeks, an intensive block and two exercises whose holds move down the body, all recorded
through the API."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.records import seed_child, seed_exercise, seed_practitioner
from tests.support.tenants import TenantClient

PERIOD = {"from": "2024-06-01", "to": "2025-06-01"}
# Date, and the score of every item in dimensions A-E (0-3): a child getting stronger.
GMFM = [
    ("2024-06-15", (2, 1, 0, 0, 0)),
    ("2024-10-01", (3, 2, 1, 0, 0)),
    ("2024-11-25", (3, 2, 2, 1, 0)),
    ("2025-05-10", (3, 3, 2, 2, 1)),
]
DIMENSIONS = {"A": range(1, 18), "B": range(18, 38), "C": range(38, 52), "D": range(52, 65)}
DIMENSIONS["E"] = range(65, 89)
MILESTONES = [
    ("sitting_without_support", "2024-09-20"),
    ("hands_and_knees_crawling", "2024-10-02"),
    ("standing_with_assistance", "2024-10-10"),
    ("walking_with_assistance", "2025-03-15"),
]
# Exercise, date and hold, response: the sitting hold moves from the trunk to the thighs, the
# standing hold from the thighs to the ankles (and back up to the knees once).
HOLDS = [
    (0, "2024-07-08", "trunk", "partial"),
    (0, "2024-08-05", "trunk", "full"),
    (0, "2024-09-02", "pelvis", "partial"),
    (0, "2024-11-05", "pelvis", "full"),
    (0, "2024-11-12", "pelvis", "full"),
    (0, "2024-11-19", "thighs", "partial"),
    (1, "2024-11-06", "thighs", "partial"),
    (1, "2024-11-13", "thighs", "full"),
    (1, "2025-01-15", "knees", "full"),
    (1, "2025-03-10", "ankles", "none"),
    (1, "2025-04-07", "knees", "full"),
]


async def _post(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def make_golden_child(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantClient, headers: dict[str, str]
) -> str:
    """Record the golden child's year; its id."""
    child = await seed_child(app, tenant, birth_date=date(2024, 1, 1), gestational_age_weeks=30)
    therapist = await seed_practitioner(app, tenant)
    exercises = [
        await seed_exercise(app, tenant, code="SIT-1", name="Sitting", category="sitting"),
        await seed_exercise(app, tenant, code="STAND-1", name="Standing", category="standing"),
    ]
    child_id = str(child.id)
    for on, scores in GMFM:
        items = {
            str(n): score
            for name, score in zip("ABCDE", scores, strict=True)
            for n in DIMENSIONS[name]
        }
        body: dict[str, Any] = {
            "child_id": child_id,
            "instrument": "gmfm88",
            "status": "final",
            "performed_on": on,
            "items": items,
            "goal_dimensions": ["B", "C"],
        }
        await _post(client, headers, "/v1/assessments", body)
    for milestone, on in MILESTONES:
        body = {"child_id": child_id, "milestone": milestone, "achieved_on": on}
        await _post(client, headers, "/v1/milestones", body)
    block: dict[str, Any] = {
        "child_id": child_id,
        "prescriber_id": str(therapist.id),
        "setting": "intensive",
        "status": "active",
        "period_start": "2024-11-04",
        "period_end": "2024-11-22",
        "block": {"days": 15, "sessions_per_day": 2, "minutes_per_session": 45},
        "items": [{"exercise_id": str(exercises[0].id), "repetitions": 10}],
    }
    await _post(client, headers, "/v1/prescriptions", block)
    for index, on, point, response in HOLDS:
        done = {
            "exercise_id": str(exercises[index].id),
            "support_point": point,
            "response": response,
        }
        body = {
            "child_id": child_id,
            "practitioner_id": str(therapist.id),
            "type": "dmi",
            "setting": "clinic",
            "started_at": f"{on}T10:00:00Z",
            "duration_minutes": 45,
            "exercises": [done],
        }
        await _post(client, headers, "/v1/session-records", body)
    return child_id
