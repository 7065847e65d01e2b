"""/fhir/R4/Encounter: session records, read and searched by patient and date, validated with
fhir.resources (R4B models)."""

from __future__ import annotations

import httpx
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.encounter import Encounter

from tests.fhir.test_patients import BASE, NEW_ID, fhir, outcome
from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.sessions import create
from tests.support.tenants import TenantClient

URL = f"{BASE}/Encounter"


class TestReadEncounter:
    async def test_no_token_wrong_scope_and_another_clinic(
        self,
        client: httpx.AsyncClient,
        other: Clinic,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        outcome(await client.get(f"{URL}/{NEW_ID}"), 401)
        wrong = await headers_for(tenant_a, "children:read")
        outcome(await client.get(f"{URL}/{NEW_ID}", headers=wrong), 403)
        theirs = await create(client, other)
        mine = await headers_for(tenant_a, "sessions:read")
        outcome(await client.get(f"{URL}/{theirs['id']}", headers=mine), 404)
        outcome(await client.get(f"{URL}/nope", headers=mine), 404)  # a FHIR id, none of ours
        outcome(await client.get(f"{URL}/no_pe", headers=mine), 400)  # not a FHIR id

    async def test_success_maps_the_session(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        row = await create(client, clinic, setting="home", duration_minutes=45)
        headers = await headers_for(clinic.tenant, "sessions:read")
        body = fhir(await client.get(f"{URL}/{row['id']}", headers=headers))
        Encounter.model_validate(body)
        assert body["status"] == "finished"
        assert body["class"]["code"] == "HH"
        assert body["subject"] == {"reference": f"Patient/{clinic.child_id}"}
        assert body["participant"] == [
            {"individual": {"reference": f"Practitioner/{clinic.practitioner_id}"}}
        ]
        assert body["length"]["value"] == 45
        assert body["type"][0]["coding"][0]["code"] == row["type"]
        assert body["period"]["start"].startswith(row["started_at"][:16])


class TestSearchEncounters:
    async def test_by_patient_subject_and_date(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        first = await create(client, clinic, started_at="2026-01-05T09:00:00Z")
        second = await create(client, clinic, started_at="2026-02-05T09:00:00Z")
        theirs = await create(client, clinic, child_id=clinic.sibling_id, exercises=[])
        headers = await headers_for(clinic.tenant, "sessions:read")
        for params, expected in (
            ({"patient": clinic.child_id}, {first["id"], second["id"]}),
            ({"subject": f"Patient/{clinic.child_id}"}, {first["id"], second["id"]}),
            ({"patient": clinic.child_id, "subject": clinic.sibling_id}, set()),
            ({"patient": clinic.sibling_id}, {theirs["id"]}),
            ({"patient": clinic.child_id, "date": "ge2026-02-01"}, {second["id"]}),
            ({"date": ["ge2026-01-01", "lt2026-02-01"]}, {first["id"]}),
        ):
            body = fhir(await client.get(URL, params=params, headers=headers))
            Bundle.model_validate(body)
            for entry in body["entry"]:
                Encounter.model_validate(entry["resource"])
            assert {entry["resource"]["id"] for entry in body["entry"]} == expected, params
        for bad in ({"patient": "Group/1"}, {"date": "ne2026-01-01"}, {"date": "ge2026-02-30"}):
            outcome(await client.get(URL, params=bad, headers=headers), 400)
