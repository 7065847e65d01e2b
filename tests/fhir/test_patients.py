"""/fhir/R4: the CapabilityStatement, and Patient read and search, every body validated against
FHIR's structure definitions by an independent library (fhir.resources, its R4B models: the
R4 structures of these resources are unchanged in R4B) and every error an OperationOutcome."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient

from tests.records.conftest import Headers
from tests.records.test_children import NEW
from tests.support.tenants import TenantClient

BASE = "/fhir/R4"
FHIR_JSON = "application/fhir+json"
GENDERS = {"male", "female", "other", "unknown"}  # AdministrativeGender (required binding)


def outcome(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an OperationOutcome with this status; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body: dict[str, Any] = response.json()
    OperationOutcome.model_validate(body)
    return body


def fhir(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body: dict[str, Any] = response.json()
    return body


async def child(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> str:
    response = await client.post("/v1/children", json={**NEW, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    child_id: str = response.json()["id"]
    return child_id


class TestMetadata:
    async def test_the_capability_statement_lists_exactly_what_is_served(
        self, client: httpx.AsyncClient
    ) -> None:
        body = fhir(await client.get(f"{BASE}/metadata"))
        CapabilityStatement.model_validate(body)
        assert body["fhirVersion"] == "4.0.1"
        [rest] = body["rest"]
        served = {r["type"]: {i["code"] for i in r["interaction"]} for r in rest["resource"]}
        types = {
            "Patient",
            "RelatedPerson",
            "Practitioner",
            "Condition",
            "Observation",
            "QuestionnaireResponse",
            "CarePlan",
            "ServiceRequest",
            "Encounter",
            "Procedure",
        }
        assert served == {name: {"read", "search-type"} for name in types}
        params = {r["type"]: {p["name"] for p in r["searchParam"]} for r in rest["resource"]}
        by_identifier = {"_id", "identifier", "_lastUpdated", "_count", "_summary"}
        assert params["Patient"] == params["Practitioner"] == by_identifier
        by_patient = {"_id", "patient", "subject", "_lastUpdated", "_count", "_summary"}
        for name in ("RelatedPerson", "Condition", "CarePlan", "ServiceRequest"):
            assert params[name] == by_patient, name
        for name in ("Encounter", "Procedure", "Observation", "QuestionnaireResponse"):
            assert params[name] == by_patient | {"date"}, name
        # Each is a parameter of the operation (the OpenAPI document says what it takes).
        document = (await client.get("/openapi.json")).json()
        for name, names in params.items():
            operation = document["paths"][f"{BASE}/{name}"]["get"]
            assert names <= {p["name"] for p in operation["parameters"]}, name
        # Every path the statement lists is served (the OpenAPI document is the other list).
        paths = set((await client.get("/openapi.json")).json()["paths"])
        for name in served:
            assert {f"{BASE}/{name}", f"{BASE}/{name}/{{id}}"} <= paths

    async def test_the_bulk_export_operations_are_declared(self, client: httpx.AsyncClient) -> None:
        # A Bulk Data client finds `$export` (system level) and `Patient/$export` here, by the
        # IG's OperationDefinitions; each is served (the OpenAPI document lists them).
        body = fhir(await client.get(f"{BASE}/metadata"))
        CapabilityStatement.model_validate(body)
        [rest] = body["rest"]
        bulk = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
        assert rest["operation"] == [{"name": "export", "definition": f"{bulk}/export"}]
        operations = {r["type"]: r.get("operation") for r in rest["resource"]}
        assert operations.pop("Patient") == [
            {"name": "export", "definition": f"{bulk}/patient-export"}
        ]
        assert set(operations.values()) == {None}
        paths = set((await client.get("/openapi.json")).json()["paths"])
        assert {f"{BASE}/$export", f"{BASE}/Patient/$export"} <= paths


class TestFormats:
    async def test_json_formats_are_served_and_pretty_indents(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        child_id = await child(client, await headers_for(tenant_a, "children:write"))
        headers = await headers_for(tenant_a, "children:read")
        plain = await client.get(f"{BASE}/Patient/{child_id}", headers=headers)
        for query in ("_format=json", "_format=application/fhir%2Bjson", "_pretty=false"):
            same = await client.get(f"{BASE}/Patient/{child_id}?{query}", headers=headers)
            assert fhir(same) == fhir(plain), query
            assert b"\n" not in same.content
        pretty = await client.get(f"{BASE}/Patient/{child_id}?_pretty=true", headers=headers)
        assert fhir(pretty) == fhir(plain)
        assert b'\n  "resourceType"' in pretty.content
        bundle = await client.get(f"{BASE}/Patient?_pretty=true&_format=json", headers=headers)
        assert b"\n" in bundle.content
        Bundle.model_validate(fhir(bundle))

    @pytest.mark.parametrize("query", ["_format=xml", "_format=application/fhir%2Bxml"])
    async def test_other_formats_are_refused(self, client: httpx.AsyncClient, query: str) -> None:
        body = outcome(await client.get(f"{BASE}/metadata?{query}"), 400)
        assert body["issue"][0]["expression"] == ["#/_format"]

    @pytest.mark.parametrize(
        "accept",
        [
            "application/fhir+xml",
            "application/xml, text/xml",
            "application/fhir+json;q=0, application/fhir+xml",
            "text/turtle",
        ],
    )
    async def test_an_accept_without_json_is_406(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers, accept: str
    ) -> None:
        child_id = await child(client, await headers_for(tenant_a, "children:write"))
        headers = {**await headers_for(tenant_a, "children:read"), "Accept": accept}
        for url in (f"{BASE}/metadata", f"{BASE}/Patient/{child_id}", f"{BASE}/Patient"):
            body = outcome(await client.get(url, headers=headers), 406)
            assert body["issue"][0]["code"] == "not-supported"
            # `_format` overrides the Accept header (FHIR's http.html, "Content Types").
            fhir(await client.get(f"{url}?_format=json", headers=headers))

    @pytest.mark.parametrize(
        "accept",
        [
            "application/fhir+json",
            "application/fhir+json; fhirVersion=4.0",
            "application/json",
            "application/json+fhir",
            "application/fhir+xml;q=0.9, application/fhir+json;q=0.5",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/*",
        ],
    )
    async def test_an_accept_that_takes_json_is_served(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers, accept: str
    ) -> None:
        child_id = await child(client, await headers_for(tenant_a, "children:write"))
        headers = {**await headers_for(tenant_a, "children:read"), "Accept": accept}
        for url in (f"{BASE}/metadata", f"{BASE}/Patient/{child_id}", f"{BASE}/Patient"):
            fhir(await client.get(url, headers=headers))


class TestSmartConfiguration:
    async def test_a_backend_services_client_finds_the_token_endpoint(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(f"{BASE}/.well-known/smart-configuration")
        assert response.status_code == 200, response.text
        body = response.json()
        oauth = (await client.get("/.well-known/oauth-authorization-server")).json()
        assert body["token_endpoint"] == oauth["token_endpoint"]
        assert body["grant_types_supported"] == ["client_credentials"]
        assert "private_key_jwt" in body["token_endpoint_auth_methods_supported"]
        assert "client-confidential-asymmetric" in body["capabilities"]
        assert set(body["token_endpoint_auth_signing_alg_values_supported"]) == set(
            oauth["token_endpoint_auth_signing_alg_values_supported"]
        )


class TestReadPatient:
    async def test_no_token(self, client: httpx.AsyncClient) -> None:
        body = outcome(await client.get(f"{BASE}/Patient/{NEW_ID}"), 401)
        assert body["issue"][0]["code"] == "login"

    async def test_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "practitioners:read")
        body = outcome(await client.get(f"{BASE}/Patient/{NEW_ID}", headers=headers), 403)
        assert body["issue"][0]["code"] == "forbidden"

    async def test_another_clinics_patient_is_404_like_a_missing_one(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        theirs = await child(client, await headers_for(tenant_b, "children:write"))
        mine = await headers_for(tenant_a, "children:read")
        other = outcome(await client.get(f"{BASE}/Patient/{theirs}", headers=mine), 404)
        missing = outcome(await client.get(f"{BASE}/Patient/{NEW_ID}", headers=mine), 404)
        assert other == missing
        assert other["issue"][0]["code"] == "not-found"

    async def test_bad_id_is_an_outcome_400(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "children:read")
        # `not-an-id` would be a FHIR id (404); `not_an_id` is none (`_` is not allowed).
        body = outcome(await client.get(f"{BASE}/Patient/not_an_id", headers=headers), 400)
        assert body["issue"][0]["code"] == "invalid"
        assert "not_an_id" not in str(body)  # the input is never echoed

    async def test_success_maps_the_child_and_is_valid_fhir(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        writer = await headers_for(tenant_a, "children:write")
        child_id = await child(client, writer)
        headers = await headers_for(tenant_a, "children:read")
        response = await client.get(f"{BASE}/Patient/{child_id}", headers=headers)
        body = fhir(response)
        Patient.model_validate(body)
        assert response.headers["etag"] == 'W/"1"'
        assert body["id"] == child_id
        assert body["meta"]["versionId"] == "1"
        assert body["meta"]["lastUpdated"].endswith("Z")
        assert body["gender"] == "female"
        assert body["gender"] in GENDERS
        assert body["birthDate"] == NEW["birth_date"]
        assert body["active"] is True
        assert body["name"] == [
            {"use": "official", "family": "Lopez", "given": ["Mia"]},
            {"use": "usual", "given": ["Mimi"]},
        ]
        [identifier] = body["identifier"]
        assert identifier["value"] == "MRN-1"
        assert identifier["system"].endswith(f"/fhir/sid/clinics/{tenant_a.clinic_id}/mrn")
        assert identifier["type"]["coding"][0]["code"] == "MR"

    async def test_a_deleted_patient_is_410_and_reads_are_audited(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        writer = await headers_for(tenant_a, "children:write")
        created = await client.post("/v1/children", json=NEW, headers=writer)
        child_id = created.json()["id"]
        deleted = await client.delete(
            f"/v1/children/{child_id}", headers={**writer, "If-Match": created.headers["etag"]}
        )
        assert deleted.status_code == 204, deleted.text
        headers = await headers_for(tenant_a, "children:read", "audit:read")
        body = outcome(await client.get(f"{BASE}/Patient/{child_id}", headers=headers), 410)
        assert body["issue"][0]["code"] == "deleted"
        live = await child(client, writer, external_id="MRN-2")
        fhir(await client.get(f"{BASE}/Patient/{live}", headers=headers))
        trail = await client.get(f"/v1/audit-events?resource_id={live}", headers=headers)
        assert trail.status_code == 200, trail.text
        actions = [(e["action"], e["outcome"]) for e in trail.json()["data"]]
        assert ("read", 200) in actions


class TestSearchPatients:
    async def test_no_token_and_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        outcome(await client.get(f"{BASE}/Patient"), 401)
        headers = await headers_for(tenant_a, "sessions:read")
        outcome(await client.get(f"{BASE}/Patient", headers=headers), 403)

    async def test_only_the_callers_clinic(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        mine = await child(client, await headers_for(tenant_a, "children:write"))
        await child(client, await headers_for(tenant_b, "children:write"))
        headers = await headers_for(tenant_a, "children:read")
        body = fhir(await client.get(f"{BASE}/Patient", headers=headers))
        Bundle.model_validate(body)
        assert [entry["resource"]["id"] for entry in body["entry"]] == [mine]

    @pytest.mark.parametrize(
        "query",
        [
            "_lastUpdated=ne2026-01-01",  # no prefix and `eq` are served: test_http_conformance
            "_lastUpdated=2026-01",
            "_lastUpdated=ge2026-13-01",
            "_lastUpdated=ge2026-01-01&_lastUpdated=lt2027-01-01&_lastUpdated=lt2028-01-01",
            "_id=no_pe",
            "_summary=true",  # `_count=0` is `_summary=count` (test_http_conformance)
            "_count=-1",  # `_count=1000` is a page of 200 (test_http_conformance)
            "_cursor=forged-cursor-value-0000",
            "name=Mia",
        ],
    )
    async def test_bad_parameters_are_an_outcome_400(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers, query: str
    ) -> None:
        headers = await headers_for(tenant_a, "children:read")
        body = outcome(await client.get(f"{BASE}/Patient?{query}", headers=headers), 400)
        assert body["issue"][0]["code"] == "invalid"

    async def test_filters_and_pages_follow_link_next(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        writer = await headers_for(tenant_a, "children:write")
        ids = [await child(client, writer, external_id=f"MRN-{n}") for n in range(5)]
        headers = await headers_for(tenant_a, "children:read")

        seen: list[str] = []
        url: str | None = f"{BASE}/Patient?_count=2"
        while url is not None:
            body = fhir(await client.get(url, headers=headers))
            Bundle.model_validate(body)
            assert body["type"] == "searchset"
            for entry in body["entry"]:
                Patient.model_validate(entry["resource"])
                assert entry["fullUrl"].endswith(f"/fhir/R4/Patient/{entry['resource']['id']}")
            seen += [entry["resource"]["id"] for entry in body["entry"]]
            links = {link["relation"]: link["url"] for link in body["link"]}
            url = links.get("next")
            if url is not None:
                assert "_count=2" in url
                url = url.removeprefix("http://testserver")
        assert sorted(seen) == sorted(ids)

        read = fhir(await client.get(f"{BASE}/Patient/{ids[3]}", headers=headers))
        system = read["identifier"][0]["system"]
        for query, expected in (
            ("identifier=MRN-3", [ids[3]]),
            (f"identifier={system}|MRN-3", [ids[3]]),
            ("identifier=https://other.example/mrn|MRN-3", []),
            (f"_id={ids[0]},{ids[4]}", sorted([ids[0], ids[4]])),
            ("_lastUpdated=ge2000-01-01&_lastUpdated=lt2999-01-01", sorted(ids)),
            ("_lastUpdated=lt2000-01-01", []),
        ):
            body = fhir(await client.get(f"{BASE}/Patient", params=_params(query), headers=headers))
            got = sorted(entry["resource"]["id"] for entry in body["entry"])
            assert got == sorted(expected), query

    async def test_identifier_token_forms(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        writer = await headers_for(tenant_a, "children:write")
        with_mrn = [await child(client, writer, external_id=f"MRN-{n}") for n in range(2)]
        await child(client, writer, external_id=None)  # no MRN: no identifier
        headers = await headers_for(tenant_a, "children:read")
        read = fhir(await client.get(f"{BASE}/Patient/{with_mrn[0]}", headers=headers))
        system = read["identifier"][0]["system"]
        for query, expected in (
            # `system|`: any identifier of the system (every child with an MRN).
            (f"identifier={system}|", with_mrn),
            ("identifier=https://other.example/mrn|", []),
            # `|value`: an identifier without a system; every one of ours has one.
            ("identifier=|MRN-0", []),
        ):
            body = fhir(await client.get(f"{BASE}/Patient", params=_params(query), headers=headers))
            got = sorted(entry["resource"]["id"] for entry in body["entry"])
            assert got == sorted(expected), query

    async def test_prefer_handling_lenient_ignores_unknown_parameters(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        writer = await headers_for(tenant_a, "children:write")
        ids = [await child(client, writer, external_id=f"MRN-{n}") for n in range(3)]
        headers = await headers_for(tenant_a, "children:read")
        unknown = "_summary=true&_total=accurate&name=Mia"  # `_summary=true` is not served
        # By default, and with `handling=strict`, an unknown parameter is a 400 (docs/fhir.md).
        for prefer in ({}, {"Prefer": "handling=strict"}):
            response = await client.get(f"{BASE}/Patient?{unknown}", headers={**headers, **prefer})
            outcome(response, 400)
        # `handling=lenient` (FHIR search, "Handling Errors"): ignored; the links carry only
        # the parameters used.
        lenient = {**headers, "Prefer": "respond-async, handling=lenient"}
        seen: list[str] = []
        url: str | None = f"{BASE}/Patient?{unknown}&_count=2"
        while url is not None:
            body = fhir(await client.get(url, headers=lenient))
            links = {link["relation"]: link["url"] for link in body["link"]}
            assert links["self"].startswith("http://testserver/fhir/R4/Patient?_count=2")
            for link in links.values():
                assert not {"_summary", "_total", "name"} & set(parse_qs(urlsplit(link).query))
            seen += [entry["resource"]["id"] for entry in body["entry"]]
            url = links.get("next", "").removeprefix("http://testserver") or None
        assert sorted(seen) == sorted(ids)
        # Also a parameter of FHIR's that this type does not take, and on a read.
        response = await client.get(f"{BASE}/Patient?date=ge2020-01-01", headers=lenient)
        assert len(fhir(response)["entry"]) == len(ids)
        fhir(await client.get(f"{BASE}/Patient/{ids[0]}?_summary=true", headers=lenient))


def _params(query: str) -> list[tuple[str, str | int | float | bool | None]]:
    return [(name, value) for name, _, value in (part.partition("=") for part in query.split("&"))]


NEW_ID = "00000000-0000-4000-8000-000000000001"
