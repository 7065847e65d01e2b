"""The Bulk Data IG v2 as a client library uses it: `_since` as any FHIR instant (nanoseconds
included), the kick-off's `Accept`."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from tests.exports.support import ASYNC, lines, relative, run_export
from tests.fhir.test_http_conformance import _nanos
from tests.fhir.test_patients import outcome
from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.sessions import create

KICK_OFF = "/fhir/R4/$export"


async def _exported(
    app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers: dict[str, str], since: str
) -> list[str]:
    response = await client.get(
        KICK_OFF, params={"_since": since, "_type": "Encounter"}, headers={**headers, **ASYNC}
    )
    assert response.status_code == 202, response.text
    location = response.headers["Content-Location"]
    assert await run_export(app, clinic.tenant.clinic_id, location) == "completed"
    done = (await client.get(relative(location), headers=headers)).json()
    found = [e["id"] for f in done["output"] for e in await lines(client, f["url"], headers)]
    await client.delete(relative(location), headers=headers)  # the next may start
    return found


async def test_since_takes_an_instant_with_nanoseconds(
    app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
) -> None:
    # Go's RFC3339Nano and Java's Instant write up to nine digits; FHIR's instant allows any.
    session = await create(client, clinic)
    headers = await headers_for(clinic.tenant, "export:read", "sessions:read")
    read = await client.get(f"/fhir/R4/Encounter/{session['id']}", headers=headers)
    updated = datetime.fromisoformat(read.json()["meta"]["lastUpdated"].replace("Z", "+00:00"))
    # What changed after the instant: a nanosecond before the change finds it; at it, or a
    # nanosecond after, does not.
    assert session["id"] in await _exported(app, client, clinic, headers, _nanos(updated, -1))
    assert session["id"] not in await _exported(app, client, clinic, headers, _nanos(updated))
    assert session["id"] not in await _exported(app, client, clinic, headers, _nanos(updated, 1))
    earlier = _nanos(updated - timedelta(days=1), 123)
    assert session["id"] in await _exported(app, client, clinic, headers, earlier)


async def test_prefer_respond_async_is_read_as_rfc_7240_preferences(
    client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
) -> None:
    # RFC 7240 §2: preferences may come in several Prefer fields, in any order; a preference
    # is a token, not a substring of one.
    headers = await headers_for(clinic.tenant, "export:read")
    accept = {"Accept": "application/fhir+json"}
    for fields in (
        [("Prefer", "handling=lenient"), ("Prefer", "respond-async")],
        [("Prefer", "handling=lenient, respond-async")],
        [("Prefer", "RESPOND-ASYNC; x=1")],
    ):
        response = await client.get(KICK_OFF, headers=[*headers.items(), *accept.items(), *fields])
        assert response.status_code == 202, (fields, response.text)
        cancelled = await client.delete(
            relative(response.headers["Content-Location"]), headers=headers
        )
        assert cancelled.status_code == 202
    for fields in (
        [("Prefer", "respond-async-later")],
        [("Prefer", "handling=lenient")],
        [("Prefer", "x=respond-async")],
        [],
    ):
        response = await client.get(KICK_OFF, headers=[*headers.items(), *accept.items(), *fields])
        body = outcome(response, 400)
        assert body["issue"][0]["expression"] == ["#/prefer"], fields
