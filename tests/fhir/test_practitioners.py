"""/fhir/R4/Practitioner: read and search, validated with fhir.resources (R4B models)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.practitioner import Practitioner

from tests.fhir.test_patients import BASE, NEW_ID, fhir, outcome
from tests.records.conftest import Headers
from tests.support.records import seed_practitioner
from tests.support.tenants import TenantClient

URL = f"{BASE}/Practitioner"


class TestReadPractitioner:
    async def test_no_token_and_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        outcome(await client.get(f"{URL}/{NEW_ID}"), 401)
        headers = await headers_for(tenant_a, "children:read")
        outcome(await client.get(f"{URL}/{NEW_ID}", headers=headers), 403)

    async def test_another_clinics_practitioner_is_404(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        theirs = await seed_practitioner(app, tenant_b)
        headers = await headers_for(tenant_a, "practitioners:read")
        body = outcome(await client.get(f"{URL}/{theirs.id}", headers=headers), 404)
        assert body["issue"][0]["code"] == "not-found"

    async def test_bad_id_is_400(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "practitioners:read")
        outcome(await client.get(f"{URL}/1_2", headers=headers), 400)  # `12` is a FHIR id: 404

    async def test_success_maps_the_practitioner(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        row = await seed_practitioner(
            app, tenant_a, discipline="SLP", credentials="CCC-SLP", external_id="P-7"
        )
        headers = await headers_for(tenant_a, "practitioners:read")
        response = await client.get(f"{URL}/{row.id}", headers=headers)
        body = fhir(response)
        Practitioner.model_validate(body)
        assert response.headers["etag"] == f'W/"{row.version}"'
        assert body["name"] == [{"use": "official", "text": "Ana Ruiz"}]
        assert body["active"] is True
        [identifier] = body["identifier"]
        assert identifier["value"] == "P-7"
        assert identifier["system"].endswith(f"/clinics/{tenant_a.clinic_id}/practitioner")
        [qualification] = body["qualification"]
        [coding] = qualification["code"]["coding"]
        assert (coding["code"], qualification["code"]["text"]) == ("SLP", "CCC-SLP")


class TestSearchPractitioners:
    async def test_only_the_callers_clinic_and_by_identifier(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        mine = [await seed_practitioner(app, tenant_a, external_id=f"P-{n}") for n in range(3)]
        await seed_practitioner(app, tenant_b, external_id="P-1")
        headers = await headers_for(tenant_a, "practitioners:read")
        body = fhir(await client.get(URL, headers=headers))
        Bundle.model_validate(body)
        assert sorted(e["resource"]["id"] for e in body["entry"]) == sorted(
            str(row.id) for row in mine
        )
        body = fhir(await client.get(URL, params={"identifier": "P-1"}, headers=headers))
        assert [e["resource"]["id"] for e in body["entry"]] == [str(mine[1].id)]
        outcome(await client.get(URL, params={"_count": "x"}, headers=headers), 400)
