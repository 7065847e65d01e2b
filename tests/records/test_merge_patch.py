"""`Content-Type: application/merge-patch+json` (RFC 7396): an object sent merges into the stored
one (a member's `null` removes it, an absent member stays); `application/json` replaces it whole.
Lists are replaced either way."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.records.test_children import NEW as NEW_CHILD
from tests.support.clinics import Clinic

MERGE = "application/merge-patch+json"


async def _patch(
    client: httpx.AsyncClient, clinic: Clinic, path: str, row: dict[str, Any], body: Any, kind: str
) -> dict[str, Any]:
    headers = {**clinic.headers, "If-Match": f'"{row["version"]}"', "Content-Type": kind}
    response = await client.patch(path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    patched: dict[str, Any] = response.json()
    return patched


async def test_session_notes_merge(client: httpx.AsyncClient, clinic: Clinic) -> None:
    made = await client.post("/v1/session-records", json=clinic.new(), headers=clinic.headers)
    row = made.json()
    path = f"/v1/session-records/{row['id']}"
    assert row["notes"]["subjective"] == "Slept well."
    row = await _patch(client, clinic, path, row, {"notes": {"plan": "Thighs next."}}, MERGE)
    assert row["notes"]["subjective"] == "Slept well."  # absent: kept
    assert row["notes"]["plan"] == "Thighs next."
    row = await _patch(client, clinic, path, row, {"notes": {"subjective": None}}, MERGE)
    assert row["notes"]["subjective"] is None  # null: removed
    assert row["notes"]["plan"] == "Thighs next."
    # As application/json, the object sent is the new one, whole.
    row = await _patch(
        client, clinic, path, row, {"notes": {"objective": "Good."}}, "application/json"
    )
    assert row["notes"] == {
        "subjective": None,
        "objective": "Good.",
        "assessment": None,
        "plan": None,
    }


async def test_assessment_items_merge(client: httpx.AsyncClient, clinic: Clinic) -> None:
    body = {
        "child_id": clinic.child_id,
        "assessor_id": clinic.practitioner_id,
        "instrument": "gmfm88",
        "performed_on": "2025-03-04",
        "items": {"1": 3, "2": 2, "18": 1, "52": "NT"},
    }
    made = await client.post("/v1/assessments", json=body, headers=clinic.headers)
    assert made.status_code == 201, made.text
    row = made.json()
    path = f"/v1/assessments/{row['id']}"
    row = await _patch(client, clinic, path, row, {"items": {"2": 3, "52": None}}, MERGE)
    assert row["items"] == {"1": 3, "2": 3, "18": 1}


async def test_a_childs_floortime_target_merges(client: httpx.AsyncClient, clinic: Clinic) -> None:
    body = {
        **NEW_CHILD,
        "external_id": f"MRN-{uuid.uuid4().hex[:8]}",
        "floortime_target": {"sessions_per_day": 2, "minutes_per_session": 45},
    }
    made = await client.post("/v1/children", json=body, headers=clinic.headers)
    assert made.status_code == 201, made.text
    row = made.json()
    path = f"/v1/children/{row['id']}"
    sent = {"floortime_target": {"sessions_per_day": 3}}
    row = await _patch(client, clinic, path, row, sent, MERGE)
    assert row["floortime_target"] == {"sessions_per_day": 3, "minutes_per_session": 45}
    row = await _patch(client, clinic, path, row, sent, "application/json")
    assert row["floortime_target"] == {"sessions_per_day": 3, "minutes_per_session": 20}


async def test_a_merge_that_leaves_an_invalid_object_is_422(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    made = await client.post("/v1/session-records", json=clinic.new(), headers=clinic.headers)
    row = made.json()
    headers = {**clinic.headers, "If-Match": '"1"', "Content-Type": MERGE}
    response = await client.patch(
        f"/v1/session-records/{row['id']}", json={"notes": {"plan": "x" * 10001}}, headers=headers
    )
    assert response.status_code == 422, response.text
    assert [e["pointer"] for e in response.json()["errors"]] == ["#/notes/plan"]
