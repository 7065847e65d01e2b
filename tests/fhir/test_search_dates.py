"""FHIR `date` and `_lastUpdated` searches at the edges of the calendar: a range reaching past
9999-12-31 (a far-future sentinel) is still a search, an instant whose offset carries it out of
the years 1 to 9999 in UTC is a 400 as in `/v1`; never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.fhir.test_clinical_resources import SCOPES, records
from tests.fhir.test_patients import BASE, fhir, outcome
from tests.records.conftest import Headers
from tests.support.clinics import Clinic

KINDS = ["Observation", "Encounter"]  # `date` on a date column, and on an instant's


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("_lastUpdated=le9999-12-31", True),
        ("_lastUpdated=gt9999-12-31", False),
        ("_lastUpdated=gt9999-12-31T23:59:59.999999Z", False),
        ("date=le9999-12-31", True),
        ("date=lt9999-12-31T12:00:00Z", True),
        ("date=gt9999-12-31", False),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
async def test_a_range_past_9999_is_searched(
    client: httpx.AsyncClient,
    clinic: Clinic,
    headers_for: Headers,
    kind: str,
    query: str,
    matches: bool,
) -> None:
    await records(client, clinic)
    headers = await headers_for(clinic.tenant, *SCOPES["Observation"], "sessions:read")
    every = fhir(await client.get(f"{BASE}/{kind}?_count=200", headers=headers))["entry"]
    assert every
    found = fhir(await client.get(f"{BASE}/{kind}?{query}&_count=200", headers=headers))
    assert len(found["entry"]) == (len(every) if matches else 0)


@pytest.mark.parametrize(
    "query",
    [
        "_lastUpdated=ge9999-12-31T23:00:00-05:00",
        "_lastUpdated=ge0001-01-01T00:00:00%2B01:00",
        "date=ge0001-01-01T00:00:00%2B14:00",
    ],
)
@pytest.mark.parametrize("kind", KINDS)
async def test_an_instant_outside_utcs_years_is_a_400(
    client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers, kind: str, query: str
) -> None:
    headers = await headers_for(clinic.tenant, *SCOPES["Observation"], "sessions:read")
    body = outcome(await client.get(f"{BASE}/{kind}?{query}", headers=headers), 400)
    [issue] = body["issue"]
    assert issue["expression"] == [f"#/{query.split('=')[0]}"]
    assert issue["details"]["text"] == "invalid_search_value"
