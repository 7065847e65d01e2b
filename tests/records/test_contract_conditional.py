"""The schema's `If-Match` says what the server enforces: required exactly where 428 answers.

Every change operation on real rows of each resource is called three ways: without `If-Match`
(428 exactly where the document declares it required), with an unquoted tag (400) and with a
stale one (412). Nothing is changed by any of these calls.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.app import create_app
from dmi_api.config import Settings
from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.sessions import create, make_clinic
from tests.support.tenants import TenantClient

CHANGES = ("put", "patch", "delete", "post")


@pytest.fixture(scope="module")
def document(settings: Settings) -> dict[str, Any]:
    schema: dict[str, Any] = create_app(settings).openapi()
    return schema


def _if_match(operation: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (
            p
            for p in operation.get("parameters", [])
            if p["in"] == "header" and p["name"] == "If-Match"
        ),
        None,
    )


async def _ids(client: httpx.AsyncClient, clinic: Clinic) -> dict[str, str]:
    record = await create(client, clinic)
    assessment = await client.post(
        "/v1/assessments",
        json={"child_id": clinic.child_id, "instrument": "custom", "performed_on": "2025-01-02"},
        headers=clinic.headers,
    )
    milestone = await client.post(
        "/v1/milestones",
        json={"child_id": clinic.child_id, "milestone": "sitting_without_support"},
        headers=clinic.headers,
    )
    item = await client.get(f"/v1/children/{clinic.child_id}/prescriptions", headers=clinic.headers)
    assert assessment.status_code == milestone.status_code == 201, milestone.text
    return {
        "child_id": clinic.child_id,
        "practitioner_id": clinic.practitioner_id,
        "exercise_id": clinic.exercise_ids[0],
        "record_id": record["id"],
        "assessment_id": assessment.json()["id"],
        "milestone_id": milestone.json()["id"],
        "prescription_id": item.json()["data"][0]["id"],
    }


def _body(path: str, method: str, clinic: Clinic) -> dict[str, Any] | None:
    if method == "delete":
        return None
    if path.endswith("/sign"):
        return {"signed_by": clinic.practitioner_id}
    return {}  # every patch field is optional; PUT clinic-settings: the defaults


async def test_if_match_is_required_exactly_where_428_answers(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    headers_for: Headers,
    document: dict[str, Any],
) -> None:
    clinic = await make_clinic(app, tenant_a, headers_for)
    ids = await _ids(client, clinic)
    checked = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if method not in CHANGES or "201" in operation["responses"]:
                continue  # creates (and the upsert, which creates without If-Match)
            try:
                path = template.format(**ids)
            except KeyError:
                continue  # a resource this test makes no row of (clients)
            body = _body(template, method, clinic)

            async def call(extra: dict[str, str], path: str = path, **kw: Any) -> int:
                response = await client.request(
                    kw["method"], path, json=kw["body"], headers={**clinic.headers, **extra}
                )
                return response.status_code

            declared = _if_match(operation)
            required = bool(declared and declared["required"])
            without = await call({}, method=method, body=body)
            assert (without == 428) == required, (method, template, without)
            if required:
                assert await call({"If-Match": "1"}, method=method, body=body) == 400
                assert await call({"If-Match": '"999"'}, method=method, body=body) == 412
                assert {"400", "412", "428"} <= operation["responses"].keys()
            checked.append((method, template, required))
    # Every resource's PATCH and DELETE, the signature and the clinic settings were reached.
    assert sum(required for *_, required in checked) >= 16, checked


def test_if_match_is_optional_only_where_the_operation_creates(document: dict[str, Any]) -> None:
    for item in document["paths"].values():
        for operation in item.values():
            declared = _if_match(operation)
            if declared is not None:
                assert declared["required"] is ("201" not in operation["responses"])
                assert declared["schema"]["pattern"]
