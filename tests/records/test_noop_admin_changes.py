"""A change of an API client, a webhook endpoint or the clinic's settings that changes nothing
is no change either: the same ETag (where there is one), no change event, an audit `read`."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.clinics import Clinic


async def _event_types(client: httpx.AsyncClient, clinic: Clinic, resource_id: str) -> list[str]:
    response = await client.get("/v1/events", params={"limit": 100}, headers=clinic.headers)
    assert response.status_code == 200, response.text
    return [e["type"] for e in response.json()["data"] if e["resource"]["id"] == resource_id]


async def _actions(client: httpx.AsyncClient, clinic: Clinic, **params: Any) -> list[str]:
    response = await client.get(
        "/v1/audit-events", params={**params, "limit": 100}, headers=clinic.headers
    )
    assert response.status_code == 200, response.text
    return sorted(e["action"] for e in response.json()["data"])


async def test_a_client_patch_that_changes_nothing(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    body = {"name": "Nightly sync", "scopes": ["children:read"]}
    made = await client.post("/v1/clients", json=body, headers=clinic.headers)
    assert made.status_code == 201, made.text
    path = f"/v1/clients/{made.json()['client_id']}"
    for patch in ({}, {"name": "Nightly sync", "scopes": ["children:read"]}):
        response = await client.patch(path, json=patch, headers=clinic.headers)
        assert response.status_code == 200, response.text
        assert response.json()["updated_at"] == made.json()["updated_at"]
    client_id = made.json()["client_id"]
    assert await _event_types(client, clinic, client_id) == ["client.created"]
    assert "update" not in await _actions(client, clinic, resource_id=client_id)


async def test_a_webhook_endpoint_patch_that_changes_nothing(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    body = {"url": "https://93.184.216.34/hook", "event_types": ["child.created"]}
    made = await client.post("/v1/webhook-endpoints", json=body, headers=clinic.headers)
    assert made.status_code == 201, made.text
    path = f"/v1/webhook-endpoints/{made.json()['id']}"
    headers = {**clinic.headers, "If-Match": made.headers["etag"]}
    for patch in ({}, body, {"status": "active", "description": None}):
        response = await client.patch(path, json=patch, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == made.headers["etag"]
        assert response.json()["updated_at"] == made.json()["updated_at"]
    assert "update" not in await _actions(client, clinic, resource_id=made.json()["id"])


async def test_a_settings_put_that_changes_nothing(
    client: httpx.AsyncClient, clinic: Clinic
) -> None:
    current = await client.get("/v1/clinic-settings", headers=clinic.headers)
    first = await client.put(
        "/v1/clinic-settings",
        json={"time_zone": "Europe/Madrid"},
        headers={**clinic.headers, "If-Match": current.headers["etag"]},
    )
    assert first.status_code == 200, first.text
    again = await client.put(
        "/v1/clinic-settings",
        json={"time_zone": "Europe/Madrid"},
        headers={**clinic.headers, "If-Match": first.headers["etag"]},
    )
    assert again.status_code == 200, again.text
    assert again.headers["etag"] == first.headers["etag"]
    assert again.json() == first.json()
    assert (await _actions(client, clinic, resource_type="clinic_settings")).count("update") == 1
