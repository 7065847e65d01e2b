"""A weak ETag in `If-Match` never matches (RFC 9110 §13.1.1: strong comparison), and the 412
says so instead of claiming the resource changed (a proxy that compresses answers, nginx's
gzip for one, weakens the ETags it passes on)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.records import seed_child
from tests.support.tenants import TenantClient


async def test_a_weak_etag_of_the_current_version_is_412_saying_why(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
) -> None:
    headers = await headers_for(tenant_a)
    url = f"/v1/children/{(await seed_child(app, tenant_a)).id}"
    current = await client.get(url, headers=headers)
    weak = f"W/{current.headers['etag']}"
    response = await client.patch(url, json={}, headers={**headers, "If-Match": weak})
    assert response.status_code == 412, response.text
    assert "weak" in response.json()["detail"]
    stale = await client.patch(url, json={}, headers={**headers, "If-Match": '"9"'})
    assert stale.status_code == 412
    assert "weak" not in stale.json()["detail"]
    # A weak tag in a list beside the strong current one does not hurt.
    listed = f"{weak}, {current.headers['etag']}"
    assert (
        await client.patch(url, json={}, headers={**headers, "If-Match": listed})
    ).status_code == 200
