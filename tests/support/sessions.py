"""Session records in tests: a clinic's seeded rows, and creating and signing records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI

from tests.support.records import (
    seed_child,
    seed_exercise,
    seed_practitioner,
    seed_prescription_item,
)
from tests.support.tenants import TenantClient

if TYPE_CHECKING:
    from tests.records.conftest import Headers

URL = "/v1/session-records"
START = "2025-03-04T09:00:00+01:00"


@dataclass(frozen=True)
class Clinic:
    """One clinic's seeded rows and a header holding every scope."""

    tenant: TenantClient
    headers: dict[str, str]
    child_id: str
    practitioner_id: str
    exercise_ids: list[str]
    item_id: str  # an item of this child's prescription, for exercise_ids[0]
    sibling_id: str  # another child of the clinic
    sibling_item_id: str  # an item of the sibling's prescription, for exercise_ids[0]

    def exercise(self, index: int = 0, **fields: Any) -> dict[str, Any]:
        return {"exercise_id": self.exercise_ids[index], "repetitions": 5, "sets": 1, **fields}

    def new(self, **fields: Any) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "practitioner_id": self.practitioner_id,
            "type": "dmi",
            "setting": "clinic",
            "started_at": START,
            "duration_minutes": 50,
            "caregiver_present": True,
            "exercises": [
                self.exercise(0, prescription_item_id=self.item_id, response="partial"),
                self.exercise(1, support_point="knees", note="Tired at the end."),
            ],
            "notes": {"subjective": "Slept well.", "plan": "Move the hold to the thighs."},
            **fields,
        }


async def make_clinic(app: FastAPI, tenant: TenantClient, headers_for: Headers) -> Clinic:
    child = await seed_child(app, tenant)
    sibling = await seed_child(app, tenant, given_name="Leo")
    practitioner = await seed_practitioner(app, tenant)
    exercises = [await seed_exercise(app, tenant) for _ in range(3)]
    item = await seed_prescription_item(
        app, tenant, child=child, prescriber=practitioner, exercise=exercises[0]
    )
    sibling_item = await seed_prescription_item(
        app, tenant, child=sibling, prescriber=practitioner, exercise=exercises[0]
    )
    return Clinic(
        tenant=tenant,
        headers=await headers_for(tenant),
        child_id=str(child.id),
        practitioner_id=str(practitioner.id),
        exercise_ids=[str(e.id) for e in exercises],
        item_id=str(item.id),
        sibling_id=str(sibling.id),
        sibling_item_id=str(sibling_item.id),
    )


async def create(client: httpx.AsyncClient, clinic: Clinic, **fields: Any) -> dict[str, Any]:
    response = await client.post(URL, json=clinic.new(**fields), headers=clinic.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def if_match(clinic: Clinic, row: dict[str, Any]) -> dict[str, str]:
    return {**clinic.headers, "If-Match": f'"{row["version"]}"'}


async def sign(client: httpx.AsyncClient, clinic: Clinic, row: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        f"{URL}/{row['id']}/sign",
        json={"signed_by": clinic.practitioner_id},
        headers=if_match(clinic, row),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
