"""A Condition's id names no diagnosis (privacy audit): `{child}.diagnosis.{token}`, the token
keyed by the clinic's own random key, so that no URL, Bundle `fullUrl`, export line or reference
shows which ICD-10 code a child has, and no one can recover it by hashing the ~70k codes. The id
stays the same on every read, search and export while the diagnosis stays on the child."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
from fastapi import FastAPI

from dmi_api.fhir import conditions as mapping
from dmi_api.services.export_sources import Context
from dmi_api.tenant_scope import Tenant, bind_settings
from tests.exports.test_fhir_validity import export
from tests.fhir.test_patients import BASE, fhir, outcome
from tests.records.conftest import Headers
from tests.support.tenants import TenantClient

CODES = ("Q90.9", "P07.35", "G80.1")
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _no_code_in(text: str) -> None:
    for code in CODES:
        assert code not in text, text
        assert code.replace(".", "") not in text, text


async def _child(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post(
        "/v1/children",
        json={
            "given_name": "Mia",
            "family_name": "Lopez",
            "birth_date": "2024-03-01",
            "sex": "female",
            "diagnoses": [{"code": code} for code in CODES],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    child: dict[str, Any] = response.json()
    return child


async def _searched(client: httpx.AsyncClient, child_id: str, headers: dict[str, str]) -> Any:
    bundle = fhir(await client.get(f"{BASE}/Condition?patient={child_id}", headers=headers))
    for entry in bundle["entry"]:
        _no_code_in(entry["fullUrl"])
    return {
        entry["resource"]["code"]["coding"][0]["code"]: entry["resource"]["id"]
        for entry in bundle["entry"]
    }


async def test_a_condition_id_shows_no_code_and_stays_the_same(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: TenantClient,
    tenant_b: TenantClient,
    headers_for: Headers,
) -> None:
    writer = await headers_for(tenant_a)
    reader = await headers_for(tenant_a, "children:read")
    child = await _child(client, writer)
    sibling = await _child(client, writer)
    ids = await _searched(client, child["id"], reader)
    assert set(ids) == set(CODES)
    for code, condition_id in ids.items():
        _no_code_in(condition_id)
        assert FHIR_ID.match(condition_id), condition_id
        assert condition_id.startswith(f"{child['id']}.diagnosis.")
        read = fhir(await client.get(f"{BASE}/Condition/{condition_id}", headers=reader))
        assert read["id"] == condition_id
        assert read["code"]["coding"][0]["code"] == code
        again = fhir(await client.get(f"{BASE}/Condition/{condition_id}", headers=reader))
        assert again["id"] == condition_id
        # Another child's id with this token, a made-up token, the old id: none is a Condition.
        token = condition_id.rsplit(".", 1)[1]
        for wrong in (
            f"{sibling['id']}.diagnosis.{token}",
            f"{child['id']}.diagnosis.{'a' * len(token)}",
            f"{child['id']}.diagnosis.{code}",
        ):
            outcome(await client.get(f"{BASE}/Condition/{wrong}", headers=reader), 404)
    searched = fhir(await client.get(f"{BASE}/Condition?_id={ids['Q90.9']}", headers=reader))
    assert [entry["resource"]["id"] for entry in searched["entry"]] == [ids["Q90.9"]]
    assert len(set(ids.values())) == len(CODES)

    # The id is the stored key's alone: no setting (DMI_SECRET_KEY), process or replica in it.
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=tenant_a.clinic_id)
        key = await Context(Tenant(db, tenant_a.clinic_id), "elsewhere").fhir_id_key()
    assert len(key) == 32
    assert {code: mapping.condition_id(child["id"], code, key) for code in CODES} == ids

    # An unrelated change to the child (and a diagnosis dropped) keeps the others' ids.
    patched = await client.patch(
        f"/v1/children/{child['id']}",
        json={"preferred_name": "Mimi", "diagnoses": [{"code": c} for c in CODES[:2]]},
        headers={**writer, "If-Match": f'"{child["version"]}"'},
    )
    assert patched.status_code == 200, patched.text
    assert await _searched(client, child["id"], reader) == {c: ids[c] for c in CODES[:2]}

    # The bulk export's lines carry the same ids.
    done = await export(app, client, tenant_a, await headers_for(tenant_a, "export:read"))
    exported = {
        r["id"]
        for r in done.resources["Condition"]
        if r["subject"]["reference"].endswith(child["id"])
    }
    assert exported == {ids[c] for c in CODES[:2]}
    for content in done.raw:
        _no_code_in_ids(content)

    # Another clinic's ids show no code either.
    other_child = await _child(client, await headers_for(tenant_b))
    theirs = await _searched(
        client, other_child["id"], await headers_for(tenant_b, "children:read")
    )
    assert set(theirs) == set(CODES)


def _no_code_in_ids(content: bytes) -> None:
    for line in content.splitlines():
        resource = orjson.loads(line)
        _no_code_in(resource.get("id", ""))


def test_the_token_is_keyed() -> None:
    """The same child and code give the same id under one key, another under another key; the
    code is not in it."""
    child = SimpleNamespace(
        id=uuid.uuid4(),
        diagnoses=[{"code": "Q90.9"}],
        version=1,
        updated_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    one, two = b"1" * 32, b"2" * 32
    first = mapping.conditions(child, key=one)[0]["id"]
    assert mapping.conditions(child, key=one)[0]["id"] == first
    assert mapping.conditions(child, key=two)[0]["id"] != first
    _no_code_in(first)
    assert FHIR_ID.match(first)
