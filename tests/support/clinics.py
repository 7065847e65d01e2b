"""The one clinic of the record tests: its seeded rows, a header with every scope, and helpers
that make records through the API (each test module seeds what it needs with its `make_clinic`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.tenants import TenantClient

START = "2025-03-04T09:00:00+01:00"


@dataclass(frozen=True)
class Clinic:
    """One clinic's seeded rows and a header holding every scope."""

    tenant: TenantClient
    headers: dict[str, str]
    child_id: str
    practitioner_id: str
    exercise_ids: list[str]
    item_id: str = ""  # an item of this child's prescription, for exercise_ids[0], when seeded
    sibling_id: str = ""  # another child of the clinic, when seeded
    sibling_item_id: str = ""  # an item of the sibling's prescription, when seeded

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

    async def post(self, client: httpx.AsyncClient, url: str, **body: Any) -> dict[str, Any]:
        response = await client.post(url, json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def patch(
        self, client: httpx.AsyncClient, url: str, version: int, **body: Any
    ) -> dict[str, Any]:
        response = await client.patch(
            url, json=body, headers={**self.headers, "If-Match": f'"{version}"'}
        )
        assert response.status_code == 200, response.text
        patched: dict[str, Any] = response.json()
        return patched

    async def milestone(self, client: httpx.AsyncClient, code: str, on: str) -> None:
        await self.post(
            client, "/v1/milestones", child_id=self.child_id, milestone=code, achieved_on=on
        )

    async def session(
        self,
        client: httpx.AsyncClient,
        started_at: str,
        exercises: list[dict[str, Any]],
        **more: Any,
    ) -> dict[str, Any]:
        fields = {
            "child_id": self.child_id,
            "type": "home_practice",
            "setting": "home",
            "started_at": started_at,
            "duration_minutes": 20,
            "exercises": exercises,
            **more,
        }
        return await self.post(client, "/v1/session-records", **fields)
