"""A change that changes nothing (`{}`, or the values stored) is no change: 200 with the
representation and the same ETag, no new version, no change event (a webhook receiver that
echoes updates back must not loop), and an audit `read`, not an `update`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.models import Assessment
from dmi_api.tenant_scope import bind_settings
from tests.records.test_children import NEW as NEW_CHILD
from tests.records.test_exercises import NEW as NEW_EXERCISE
from tests.support.clinics import Clinic

Body = dict[str, Any]


def _child(_clinic: Clinic) -> Body:
    return {**NEW_CHILD, "external_id": f"MRN-{uuid.uuid4().hex[:8]}"}


def _practitioner(_clinic: Clinic) -> Body:
    return {"name": "Ana Ruiz", "discipline": "PT", "external_id": f"P-{uuid.uuid4().hex[:8]}"}


def _exercise(_clinic: Clinic) -> Body:
    return {**NEW_EXERCISE, "code": f"X-{uuid.uuid4().hex[:6].upper()}"}


def _milestone(clinic: Clinic) -> Body:
    return {
        "child_id": clinic.child_id,
        "milestone": "sitting_without_support",
        "achieved_on": "2024-11-20",
        "note": "Sat 15 s.",
    }


def _assessment(clinic: Clinic) -> Body:
    return {
        "child_id": clinic.child_id,
        "assessor_id": clinic.practitioner_id,
        "instrument": "gmfm88",
        "performed_on": "2025-03-04",
        "status": "final",
        "items": {"1": 3, "2": 2, "18": 1, "52": "NT"},
        "goal_dimensions": ["B", "C"],
        "notes": "On the floor mat.",
    }


def _prescription(clinic: Clinic) -> Body:
    return {
        "child_id": clinic.child_id,
        "prescriber_id": clinic.practitioner_id,
        "setting": "home",
        "status": "active",
        "period_start": "2025-03-01",
        "goal": "Sit without support.",
        "items": [{"exercise_id": clinic.exercise_ids[1], "repetitions": 5}],
    }


def _session_record(clinic: Clinic) -> Body:
    return clinic.new()


# The resource's collection, its type in events, a new row's body, and a PATCH of values it
# has already (from its representation).
CASES: dict[str, tuple[str, str, Callable[[Clinic], Body], Callable[[Body], Body]]] = {
    "child": ("/v1/children", "child", _child, lambda r: {"preferred_name": r["preferred_name"]}),
    "practitioner": (
        "/v1/practitioners",
        "practitioner",
        _practitioner,
        lambda r: {"name": r["name"]},
    ),
    "exercise": ("/v1/exercises", "exercise", _exercise, lambda r: {"category": r["category"]}),
    "milestone": ("/v1/milestones", "milestone", _milestone, lambda r: {"note": r["note"]}),
    "assessment": (
        "/v1/assessments",
        "assessment",
        _assessment,
        lambda r: {"items": r["items"], "notes": r["notes"]},
    ),
    "prescription": (
        "/v1/prescriptions",
        "prescription",
        _prescription,
        lambda r: {"goal": r["goal"], "items": [{"id": i["id"]} | _dose(i) for i in r["items"]]},
    ),
    "session_record": (
        "/v1/session-records",
        "session_record",
        _session_record,
        lambda r: {"duration_minutes": r["duration_minutes"], "notes": r["notes"]},
    ),
}


def _dose(item: Body) -> Body:
    keep = ("exercise_id", "repetitions", "sets", "hold_seconds", "support_point", "side")
    return {name: item[name] for name in keep if item.get(name) is not None}


async def _events(client: httpx.AsyncClient, clinic: Clinic, resource_id: str) -> list[str]:
    response = await client.get("/v1/events", params={"limit": 100}, headers=clinic.headers)
    assert response.status_code == 200, response.text
    return [e["type"] for e in response.json()["data"] if e["resource"]["id"] == resource_id]


async def _audited(client: httpx.AsyncClient, clinic: Clinic, resource_id: str) -> list[str]:
    params: dict[str, str | int] = {"resource_id": resource_id, "limit": 100}
    response = await client.get("/v1/audit-events", params=params, headers=clinic.headers)
    assert response.status_code == 200, response.text
    return sorted(e["action"] for e in response.json()["data"])


@pytest.mark.usefixtures("serving_path")  # the reads after it, on each path
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("body", ["empty", "same values"])
async def test_a_patch_that_changes_nothing_is_no_change(
    client: httpx.AsyncClient, clinic: Clinic, case: str, body: str
) -> None:
    url, resource, new, same = CASES[case]
    created = await client.post(url, json=new(clinic), headers=clinic.headers)
    assert created.status_code == 201, created.text
    row = created.json()
    path = f"{url}/{row['id']}"
    patch = {} if body == "empty" else same(row)
    headers = {**clinic.headers, "If-Match": created.headers["etag"]}
    first = await client.patch(path, json=patch, headers=headers)
    assert first.status_code == 200, first.text
    again = await client.patch(path, json=patch, headers=headers)  # the same ETag still holds
    assert again.status_code == 200, again.text
    assert again.headers["etag"] == created.headers["etag"] == '"1"'
    assert again.json() == first.json()
    assert again.json()["version"] == 1
    assert again.json()["updated_at"] == row["updated_at"]
    current = await client.get(path, headers=clinic.headers)
    assert current.headers["etag"] == '"1"'
    assert current.json() == again.json()
    versions = await client.get(f"{path}/versions", headers=clinic.headers)
    assert [v["version"] for v in versions.json()["data"]] == [1]
    assert await _events(client, clinic, row["id"]) == [f"{resource}.created"]
    audited = await _audited(client, clinic, row["id"])
    assert "update" not in audited
    assert audited.count("read") >= 2  # each no-op PATCH showed the row: a read


async def test_a_real_change_after_no_ops_is_version_2(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    created = await client.post("/v1/children", json=_child(clinic), headers=clinic.headers)
    row = created.json()
    path = f"/v1/children/{row['id']}"
    headers = {**clinic.headers, "If-Match": '"1"'}
    assert (await client.patch(path, json={}, headers=headers)).status_code == 200
    changed = await client.patch(path, json={"preferred_name": "Mia"}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    events = await _events(client, clinic, row["id"])
    assert events == ["child.created", "child.updated"]
    versions = (await client.get(f"{path}/versions", headers=clinic.headers)).json()["data"]
    assert [(v["version"], v["resource"]["preferred_name"]) for v in versions] == [
        (1, "Mimi"),
        (2, "Mia"),
    ]


async def test_a_birth_date_change_still_rescores(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    """A real change of the child still versions the assessments it rescored."""
    body = {**_child(clinic), "birth_date": "2023-08-01", "gestational_age_weeks": 40}
    body["gestational_age_days"] = 0
    child = (await client.post("/v1/children", json=body, headers=clinic.headers)).json()
    scored = {**_assessment(clinic), "child_id": child["id"], "instrument": "aims"}
    scored["items"] = {"prone-1": 1, "supine-1": 1, "sitting-1": 1, "standing-1": 1}
    scored.pop("goal_dimensions")
    made = await client.post("/v1/assessments", json=scored, headers=clinic.headers)
    assert made.status_code == 201, made.text
    headers = {**clinic.headers, "If-Match": '"1"'}
    path = f"/v1/children/{child['id']}"
    moved = await client.patch(path, json={"birth_date": "2024-01-01"}, headers=headers)
    assert moved.status_code == 200, moved.text
    assessment = await client.get(f"/v1/assessments/{made.json()['id']}", headers=clinic.headers)
    assert made.json()["warnings"] != assessment.json()["warnings"]  # 19 months, then 14
    assert assessment.headers["etag"] == '"2"'
    events = await _events(client, clinic, made.json()["id"])
    assert events == ["assessment.created", "assessment.scored"]


async def test_an_upsert_of_the_same_child_is_no_change(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    """An EHR that PUTs its whole record again on every sync makes no new version."""
    body = _child(clinic)
    path = f"/v1/children/by-external-id/{body['external_id']}"
    created = await client.put(path, json=body, headers=clinic.headers)
    assert created.status_code == 201, created.text
    headers = {**clinic.headers, "If-Match": created.headers["etag"]}
    again = await client.put(path, json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.headers["etag"] == '"1"'
    assert await _events(client, clinic, created.json()["id"]) == ["child.created"]


async def test_a_patch_that_changes_only_a_derived_value_counts(
    app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
) -> None:
    """Scores stored under an older computation (as a rule's new version leaves them until
    rescored): a PATCH of `{}` computes them again, and that is a change, versioned."""
    created = await client.post("/v1/assessments", json=_assessment(clinic), headers=clinic.headers)
    assert created.status_code == 201, created.text
    row = created.json()
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic.tenant.clinic_id)
        stored = await db.get(Assessment, (clinic.tenant.clinic_id, uuid.UUID(row["id"])))
        assert stored is not None
        assert stored.scores is not None
        stored.scores = {**stored.scores, "total_percent": 99.0}
        await db.commit()
    path = f"/v1/assessments/{row['id']}"
    headers = {**clinic.headers, "If-Match": '"1"'}
    patched = await client.patch(path, json={}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert patched.headers["etag"] == '"2"'
    assert patched.json()["scores"] == row["scores"]
    # (Its kept version 1 has the scores computed now: the event names no changed field.)
    assert len(await _events(client, clinic, row["id"])) == 2
