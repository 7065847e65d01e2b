"""/fhir/R4: read and search of RelatedPerson, Condition, Observation, QuestionnaireResponse,
CarePlan, ServiceRequest and Procedure (the types built from the same source descriptions as
the export): tokens and scopes, another clinic's ids, bad ids, success validated with
fhir.resources (R4B), tombstones 410, search by patient, date and `_id`, and paging across a
type's tables with at most `_count` resources a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from tests.fhir.test_patients import BASE, fhir, outcome
from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.sessions import create

CHILD = {
    "given_name": "Mia",
    "family_name": "Lopez",
    "birth_date": "2024-03-01",
    "sex": "female",
    "gestational_age_weeks": 32,
    "gestational_age_days": 4,
    "diagnoses": [{"code": "Q90.9", "text": "Down syndrome"}, {"code": "P07.35"}],
    "caregivers": [
        {"name": "Sara Lopez", "relationship": "mother", "phone": "+15551234567", "primary": True},
        {"name": "Luis Lopez", "relationship": "father"},
    ],
}


@dataclass
class Records:
    """A child with caregivers, diagnoses and gestational age; a final GMFM-88, a milestone, a
    session with exercises, the seeded prescription: their ids."""

    child: dict[str, Any]
    assessment: dict[str, Any]
    milestone: dict[str, Any]
    session: dict[str, Any]
    prescription_id: str
    item_id: str
    condition_id: str = ""  # the child's Q90.9 (its id names no code: test_condition_ids)


async def _post(client: httpx.AsyncClient, clinic: Clinic, url: str, body: Any) -> Any:
    response = await client.post(url, json=body, headers=clinic.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def records(client: httpx.AsyncClient, clinic: Clinic) -> Records:
    child = await _post(client, clinic, "/v1/children", CHILD)
    assessment = await _post(
        client,
        clinic,
        "/v1/assessments",
        {
            "child_id": child["id"],
            "assessor_id": clinic.practitioner_id,
            "instrument": "gmfm88",
            "performed_on": "2025-03-04",
            "status": "final",
            "items": {str(n): 2 for n in range(1, 89)},
        },
    )
    milestone = await _post(
        client,
        clinic,
        "/v1/milestones",
        {
            "child_id": child["id"],
            "milestone": "sitting_without_support",
            "achieved_on": "2025-01-10",
        },
    )
    session = await create(client, clinic)
    listed = await client.get(
        f"/v1/prescriptions?child_id={clinic.child_id}", headers=clinic.headers
    )
    [prescription] = listed.json()["data"]
    found = await client.get(f"{BASE}/Condition?patient={child['id']}", headers=clinic.headers)
    assert found.status_code == 200, found.text
    [condition_id] = [
        entry["resource"]["id"]
        for entry in found.json()["entry"]
        if entry["resource"]["code"]["coding"][0]["code"] == "Q90.9"
    ]
    return Records(
        child, assessment, milestone, session, prescription["id"], clinic.item_id, condition_id
    )


@dataclass(frozen=True)
class Case:
    """One type: its scope, one resource id of the records, and the child it is about."""

    type: str
    scope: str
    id_of: Any
    child_of: Any


CASES = [
    Case("RelatedPerson", "children:read", lambda r: f"{r.child['id']}.caregiver.0", "child"),
    Case("Condition", "children:read", lambda r: r.condition_id, "child"),
    Case("Observation", "children:read", lambda r: f"{r.child['id']}.gestational-age", "child"),
    Case(
        "Observation", "assessments:read", lambda r: f"{r.assessment['id']}.gmfm88-total", "child"
    ),
    Case("Observation", "milestones:read", lambda r: r.milestone["id"], "child"),
    Case("QuestionnaireResponse", "assessments:read", lambda r: r.assessment["id"], "child"),
    Case("CarePlan", "prescriptions:read", lambda r: r.prescription_id, "seeded"),
    Case("ServiceRequest", "prescriptions:read", lambda r: r.item_id, "seeded"),
    Case("Procedure", "sessions:read", lambda r: f"{r.session['id']}.exercise.0", "seeded"),
]
# Observation is read with all three scopes (its resources come from three tables).
SCOPES = {"Observation": ["children:read", "assessments:read", "milestones:read"]}


def _scopes(case: Case) -> list[str]:
    return SCOPES.get(case.type, [case.scope])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.type}-{c.scope}")
class TestRead:
    async def test_no_token_wrong_scope_another_clinic_bad_id(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        headers_for: Headers,
        case: Case,
    ) -> None:
        theirs = await records(client, other)
        url = f"{BASE}/{case.type}/{case.id_of(theirs)}"
        outcome(await client.get(url), 401)
        outcome(
            await client.get(url, headers=await headers_for(clinic.tenant, "exercises:read")), 403
        )
        headers = await headers_for(clinic.tenant, *_scopes(case))
        outcome(await client.get(url, headers=headers), 404)  # theirs looks like none at all
        outcome(await client.get(f"{BASE}/{case.type}/a_b", headers=headers), 400)

    async def test_success_validates_and_references_the_child(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers, case: Case
    ) -> None:
        mine = await records(client, clinic)
        headers = await headers_for(clinic.tenant, *_scopes(case))
        response = await client.get(f"{BASE}/{case.type}/{case.id_of(mine)}", headers=headers)
        body = fhir(response)
        get_fhir_model_class(case.type).model_validate(body)
        assert body["id"] == case.id_of(mine)
        assert response.headers["ETag"] == f'W/"{body["meta"]["versionId"]}"'
        child = mine.child["id"] if case.child_of == "child" else clinic.child_id
        reference = body.get("subject") or body.get("patient")
        assert reference == {"reference": f"Patient/{child}"}


class TestGone:
    async def test_a_deleted_childs_caregivers_are_410(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        mine = await records(client, clinic)
        headers = await headers_for(clinic.tenant, "children:read")
        url = f"{BASE}/RelatedPerson/{mine.child['id']}.caregiver.1"
        fhir(await client.get(url, headers=headers))
        outcome(
            await client.get(
                f"{BASE}/RelatedPerson/{mine.child['id']}.caregiver.2", headers=headers
            ),
            404,
        )
        for done in ("assessments", "milestones"):  # a child with records cannot be deleted
            kind = mine.assessment if done == "assessments" else mine.milestone
            deleted = await client.delete(
                f"/v1/{done}/{kind['id']}",
                headers={**clinic.headers, "If-Match": f'"{kind["version"]}"'},
            )
            assert deleted.status_code == 204, deleted.text
        deleted = await client.delete(
            f"/v1/children/{mine.child['id']}",
            headers={**clinic.headers, "If-Match": f'"{mine.child["version"]}"'},
        )
        assert deleted.status_code == 204, deleted.text
        outcome(await client.get(url, headers=headers), 410)
        assessment = f"{BASE}/QuestionnaireResponse/{mine.assessment['id']}"
        outcome(
            await client.get(
                assessment, headers=await headers_for(clinic.tenant, "assessments:read")
            ),
            410,
        )


class TestSearch:
    async def test_by_patient_date_and_id_paged_across_tables(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        headers_for: Headers,
    ) -> None:
        mine = await records(client, clinic)
        await records(client, other)
        headers = await headers_for(clinic.tenant, *SCOPES["Observation"])
        child = mine.child["id"]
        # The child's Observations: gestational age, the GMFM-88's scores, the milestone.
        seen: list[str] = []
        url: str | None = f"{BASE}/Observation?patient=Patient/{child}&_count=2"
        pages = 0
        while url is not None:
            bundle = fhir(await client.get(url.removeprefix("http://testserver"), headers=headers))
            Bundle.model_validate(bundle)
            pages += 1
            # At most _count, unless one record's resources fill a page alone (the GMFM-88's).
            found = [entry["resource"]["id"] for entry in bundle["entry"]]
            assert len(found) <= 2 or len({f.split(".")[0] for f in found}) == 1
            seen += found
            url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        assert pages >= 3
        assert len(seen) == len(set(seen))
        assert f"{child}.gestational-age" in seen
        assert f"{mine.assessment['id']}.gmfm88-total" in seen
        assert mine.milestone["id"] in seen
        everything = fhir(await client.get(f"{BASE}/Observation?_count=200", headers=headers))
        assert sorted(e["resource"]["id"] for e in everything["entry"]) == sorted(seen)
        # `date`: the assessment's day and the milestone's; the birth day is the gestational age.
        dated = fhir(
            await client.get(
                f"{BASE}/Observation?date=ge2025-03-04&date=le2025-03-04", headers=headers
            )
        )
        assert {e["resource"]["id"].split(".")[0] for e in dated["entry"]} == {
            mine.assessment["id"]
        }
        # A milestone observed but not achieved is dated by its observation.
        observed = await _post(
            client,
            clinic,
            "/v1/milestones",
            {"child_id": child, "milestone": "walking_alone", "observed_on": "2025-06-02"},
        )
        on_day = fhir(
            await client.get(
                f"{BASE}/Observation?patient={child}&date=ge2025-06-02&date=lt2025-06-03",
                headers=headers,
            )
        )
        assert [e["resource"]["id"] for e in on_day["entry"]] == [observed["id"]]
        assert on_day["entry"][0]["resource"]["effectiveDateTime"] == "2025-06-02"
        # `_id`: derived ids of different tables at once.
        wanted = f"{child}.gestational-age,{mine.milestone['id']}"
        by_id = fhir(await client.get(f"{BASE}/Observation?_id={wanted}", headers=headers))
        assert sorted(e["resource"]["id"] for e in by_id["entry"]) == sorted(wanted.split(","))
        # Another clinic's child matches nothing.
        theirs = fhir(
            await client.get(f"{BASE}/Observation?patient={other.child_id}", headers=headers)
        )
        assert theirs["entry"] == []

    @pytest.mark.parametrize(
        ("kind", "scope", "count"),
        [
            ("RelatedPerson", "children:read", 2),
            ("Condition", "children:read", 2),
            ("QuestionnaireResponse", "assessments:read", 1),
            ("CarePlan", "prescriptions:read", 0),
            ("ServiceRequest", "prescriptions:read", 0),
            ("Procedure", "sessions:read", 0),
        ],
    )
    async def test_each_type_by_patient(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        headers_for: Headers,
        kind: str,
        scope: str,
        count: int,
    ) -> None:
        mine = await records(client, clinic)
        headers = await headers_for(clinic.tenant, scope)
        bundle = fhir(
            await client.get(f"{BASE}/{kind}?subject=Patient/{mine.child['id']}", headers=headers)
        )
        Bundle.model_validate(bundle)
        assert len(bundle["entry"]) == count
        for entry in bundle["entry"]:
            get_fhir_model_class(kind).model_validate(entry["resource"])
        # The seeded child's prescription and session.
        seeded = fhir(await client.get(f"{BASE}/{kind}?patient={clinic.child_id}", headers=headers))
        assert (len(seeded["entry"]) > 0) == (kind in {"CarePlan", "ServiceRequest", "Procedure"})

    async def test_bad_parameters(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "children:read")
        # `Patient/12` is a valid FHIR id, none of ours: it matches nothing (test_http_conformance).
        for query in ("identifier=x", "date=ge2025-01-01", "patient=Patient/1_2", "_id=a_b"):
            outcome(await client.get(f"{BASE}/RelatedPerson?{query}", headers=headers), 400)


async def test_a_read_is_audited_as_a_read_of_its_row(
    app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
) -> None:
    mine = await records(client, clinic)
    headers = await headers_for(clinic.tenant, "children:read", "audit:read")
    fhir(await client.get(f"{BASE}/Condition/{mine.condition_id}", headers=headers))
    trail = await client.get(f"/v1/audit-events?resource_id={mine.child['id']}", headers=headers)
    events = {(e["action"], e["resource_type"]) for e in trail.json()["data"]}
    assert events == {("create", "child"), ("read", "child")}
