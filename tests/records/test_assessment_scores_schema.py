"""Assessments are documented per instrument (`scores` typed), and real responses fit the types."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from fastapi import FastAPI
from jsonschema_rs import Draft202012Validator  # schemathesis' own validator

from dmi_api.schemas.instruments import Instrument
from tests.records.conftest import Headers
from tests.support.records import seed_child
from tests.support.tenants import TenantClient

URL = "/v1/assessments"
DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text(encoding="utf-8")
)
BIRTH = date(2024, 3, 1)
# 12 weeks after birth: the HINE has an optimality reference at this age.
TWELVE_WEEKS = "2024-05-24"

# A final assessment of every instrument, with every score it can produce filled in.
FINAL: dict[str, dict[str, Any]] = {
    "gmfm88": {
        "items": {str(n): n % 4 for n in range(1, 89)} | {"52": "NT"},
        "goal_dimensions": ["B", "D"],
    },
    "gmfm66": {
        "items": {str(n): 2 for n in range(1, 67)},
        "entered": {"gmae_score": 55.5, "standard_error": 1.2, "ci95_low": 53, "ci95_high": 58},
    },
    "aims": {
        "items": {f"prone-{n}": 1 for n in range(1, 8)} | {"supine-1": 1, "sitting-2": 0},
        "entered": {"percentile": 25},
    },
    "hine": {"items": {str(n): 3 for n in range(1, 27)}, "performed_on": TWELVE_WEEKS},
    "pdms2": {
        "items": {"stationary-1": 2, "locomotion-3": 1, "grasping-2": 0},
        "entered": {"standard_scores": {"stationary": 9, "locomotion": 8}, "gmq": 94},
    },
    "pdms3": {
        "items": {"body_control-1": 2, "object_control-4": 1},
        "entered": {"standard_scores": {"body_control": 10}, "gmq": 100, "fmq": 97, "tmq": 99},
    },
    "gmfcs": {"entered": {"level": "III"}},
    "feas": {"items": {str(n): n % 3 for n in range(1, 61)}},
    "dmi_evaluation": {"items": {"head.control": 40, "trunk": "fair"}},
    "custom": {"items": {"reach-left": 80}},
}


def _validator(name: str) -> Draft202012Validator:
    # The document's own references resolve against its root (OpenAPI 3.1 is JSON Schema 2020-12).
    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": DOCUMENT["components"]}
    )


def _errors(name: str, body: Any) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in _validator(name).iter_errors(body)]


def test_every_instrument_has_its_own_typed_view() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    union = schemas["AssessmentPublic"]
    assert union["discriminator"]["propertyName"] == "instrument"
    mapping = union["discriminator"]["mapping"]
    assert set(mapping) == set(get_args(Instrument))
    for instrument, ref in mapping.items():
        view = schemas[ref.rsplit("/", 1)[1]]
        scores = view["properties"]["scores"]
        if instrument in ("dmi_evaluation", "custom"):
            assert scores["type"] == "null"
            continue
        [typed] = [s["$ref"] for s in scores["anyOf"] if "$ref" in s]
        score_schema = schemas[typed.rsplit("/", 1)[1]]
        assert score_schema["additionalProperties"] is False
        assert "rule" in score_schema["required"], instrument


@pytest.mark.parametrize("instrument", sorted(FINAL))
async def test_real_responses_validate_against_the_committed_schema(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    headers_for: Headers,
    instrument: str,
) -> None:
    child = await seed_child(app, tenant_a, birth_date=BIRTH)
    headers = await headers_for(tenant_a)
    fields = {"performed_on": "2025-03-04", **FINAL[instrument]}
    bodies = []
    # Two finals of each: the second GMFM-88 has a `change`; a draft has null scores.
    for performed_on in ("2025-03-04", "2025-06-04"):
        body = {
            "child_id": str(child.id),
            "instrument": instrument,
            "status": "final",
            **fields,
        }
        if "performed_on" not in FINAL[instrument]:
            body["performed_on"] = performed_on
        response = await client.post(URL, json=body, headers=headers)
        assert response.status_code == 201, response.text
        bodies.append(response.json())
    draft = await client.post(
        URL,
        json={"child_id": str(child.id), "instrument": instrument, "performed_on": "2025-01-02"},
        headers=headers,
    )
    assert draft.status_code == 201, draft.text
    latest = await client.get(f"{URL}/{bodies[-1]['id']}", headers=headers)
    assert latest.status_code == 200
    bodies += [draft.json(), latest.json()]
    if instrument != "dmi_evaluation" and instrument != "custom":
        assert latest.json()["scores"] is not None
    if instrument == "gmfm88":
        assert latest.json()["scores"]["change"] is not None
    if instrument == "hine":
        assert bodies[0]["scores"]["optimality"] is not None
    for body in bodies:
        assert _errors("AssessmentPublic", body) == [], body
    page = await client.get(URL, params={"child_id": str(child.id), "limit": 1}, headers=headers)
    assert page.status_code == 200
    assert page.json()["next_cursor"] is not None
    assert _errors("Page_AssessmentPublic_", page.json()) == []
