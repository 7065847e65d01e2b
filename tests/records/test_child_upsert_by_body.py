"""`PUT /v1/children/by-external-id` with the MRN in the body: the EHR's upsert without the
MRN in the URL (proxies and access logs record URLs; an MRN is PHI there)."""

from __future__ import annotations

import httpx

from tests.records.conftest import Headers
from tests.records.test_children import URL
from tests.support.tenants import TenantClient

UPSERT = f"{URL}/by-external-id"
BODY = {
    "given_name": "Mia",
    "family_name": "Lopez",
    "birth_date": "2024-03-01",
    "sex": "female",
    "status": "active",
    "external_id": "MRN-B1",
}


async def test_the_upsert_takes_the_mrn_from_the_body(
    client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
) -> None:
    headers = await headers_for(tenant_a, "children:read", "children:write")
    created = await client.put(UPSERT, json=BODY, headers=headers)
    assert created.status_code == 201, created.text
    child = created.json()
    assert child["external_id"] == "MRN-B1"
    assert created.headers["location"] == f"{URL}/{child['id']}"
    assert "MRN" not in created.headers["location"]
    # A replacement needs If-Match, as by the path; the same child either way.
    replacement = {**BODY, "family_name": "Lopez-Diaz"}
    assert (await client.put(UPSERT, json=replacement, headers=headers)).status_code == 428
    replaced = await client.put(UPSERT, json=replacement, headers={**headers, "If-Match": '"1"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == child["id"]
    by_path = await client.put(
        f"{UPSERT}/MRN-B1",
        json={**BODY, "status": "on_hold"},
        headers={**headers, "If-Match": '"2"'},
    )
    assert by_path.status_code == 200, by_path.text
    assert by_path.json()["id"] == child["id"]
    # Without an MRN there is nothing to upsert by: 422, echoing nothing.
    missing = await client.put(
        UPSERT, json={k: v for k, v in BODY.items() if k != "external_id"}, headers=headers
    )
    assert missing.status_code == 422, missing.text
    assert [e["pointer"] for e in missing.json()["errors"]] == ["#/external_id"]
    bad = await client.put(UPSERT, json={**BODY, "external_id": "MRN SECRET"}, headers=headers)
    assert bad.status_code == 422
    assert "SECRET" not in bad.text
