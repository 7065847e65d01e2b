"""Session records in tests: a clinic's seeded rows, and creating and signing records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI

from tests.support.clinics import Clinic
from tests.support.records import (
    one_commit,
    seed_child,
    seed_exercise,
    seed_practitioner,
    seed_prescription_item,
)
from tests.support.tenants import TenantClient

if TYPE_CHECKING:
    from tests.records.conftest import Headers

URL = "/v1/session-records"


async def make_clinic(app: FastAPI, tenant: TenantClient, headers_for: Headers) -> Clinic:
    async with one_commit(app, tenant):
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


async def lives(client: httpx.AsyncClient, clinic: Clinic) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two records through every kind of change: the first created, changed (duration),
    signed and amended; the other created and deleted. Both as first created."""
    record = await create(client, clinic)
    changed = await client.patch(
        f"{URL}/{record['id']}", json={"duration_minutes": 45}, headers=if_match(clinic, record)
    )
    assert changed.status_code == 200, changed.text
    signed = await sign(client, clinic, changed.json())
    amended = await client.post(
        f"{URL}/{signed['id']}/amendments",
        json={"reason": "correction", "text": "45 minutes, not 50."},
        headers=clinic.headers,
    )
    assert amended.status_code == 201, amended.text
    other = await create(client, clinic)
    gone = await client.delete(f"{URL}/{other['id']}", headers=if_match(clinic, other))
    assert gone.status_code == 204
    return record, other
