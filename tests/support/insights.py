"""The insights in tests: a child born at term with a therapist and two exercises, and its
records made through the API."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI

from tests.support.clinics import Clinic
from tests.support.records import seed_child, seed_exercise, seed_practitioner
from tests.support.tenants import TenantClient

if TYPE_CHECKING:
    from tests.records.conftest import Headers


async def make_clinic(app: FastAPI, tenant: TenantClient, headers_for: Headers) -> Clinic:
    child = await seed_child(app, tenant, birth_date=date(2024, 1, 1), gestational_age_weeks=40)
    practitioner = await seed_practitioner(app, tenant)
    first = await seed_exercise(app, tenant, code="SIT-1", name="Sitting, hold at trunk")
    second = await seed_exercise(app, tenant, code="STAND-1", name="Standing, hold at thighs")
    return Clinic(
        tenant=tenant,
        headers=await headers_for(tenant),
        child_id=str(child.id),
        practitioner_id=str(practitioner.id),
        exercise_ids=[str(first.id), str(second.id)],
    )


async def make_program(client: httpx.AsyncClient, clinic: Clinic, **fields: Any) -> dict[str, Any]:
    # 5 repetitions, once a day, every day: 7 occasions and 35 repetitions a week.
    body = {
        "child_id": clinic.child_id,
        "prescriber_id": clinic.practitioner_id,
        "setting": "home",
        "status": "active",
        "period_start": "2025-03-01",
        "period_end": "2025-03-14",
        "items": [
            {
                "exercise_id": clinic.exercise_ids[0],
                "repetitions": 5,
                "sets": 1,
                "times_per_day": 1,
                "days_per_week": 7,
            }
        ],
        **fields,
    }
    return await clinic.post(client, "/v1/prescriptions", **body)


async def pause_and_resume(
    client: httpx.AsyncClient, clinic: Clinic, program: dict[str, Any], paused: str, resumed: str
) -> None:
    """Pause a program on one day and make it active again on another."""
    url = f"/v1/prescriptions/{program['id']}"
    changed = await clinic.patch(
        client, url, program["version"], status="paused", status_date=paused
    )
    await clinic.patch(client, url, changed["version"], status="active", status_date=resumed)
