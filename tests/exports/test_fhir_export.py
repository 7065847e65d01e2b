"""FHIR Bulk Data Access (`/fhir/R4/$export`): kick-off, status, manifest, files, cancel,
`_since` with tombstones, one export per client, clinic isolation, expiry; every line
validated with fhir.resources (R4B models)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from dmi_api.models.columns import utcnow
from dmi_api.services import bulk_exports, export_files
from tests.exports.support import ASYNC, lines, relative, run_export
from tests.fhir.test_patients import outcome
from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.sessions import create

KICK_OFF = "/fhir/R4/$export"


def _id(location: str) -> uuid.UUID:
    return uuid.UUID(location.rsplit("/", 1)[1])


async def kick_off(
    client: httpx.AsyncClient, headers: dict[str, str], url: str = KICK_OFF, **params: str
) -> str:
    response = await client.get(url, params=params, headers={**headers, **ASYNC})
    assert response.status_code == 202, response.text
    location: str = response.headers["Content-Location"]
    assert location.startswith("http://testserver/fhir/R4/bulk-status/")
    return location


async def manifest(client: httpx.AsyncClient, location: str, headers: dict[str, str]) -> Any:
    response = await client.get(relative(location), headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Expires" in response.headers
    return response.json()


class TestKickOff:
    async def test_no_token_wrong_scope_and_bad_parameters(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        outcome(await client.get(KICK_OFF, headers=ASYNC), 401)
        wrong = await headers_for(clinic.tenant, "children:read")
        outcome(await client.get(KICK_OFF, headers={**wrong, **ASYNC}), 403)
        headers = await headers_for(clinic.tenant, "export:read")
        # Without `Prefer: respond-async` a bulk export is not started.
        outcome(await client.get(KICK_OFF, headers=headers), 400)
        for params in (
            {"_type": "Patient,Basic"},
            {"_type": "Patient;drop"},
            {"_since": "2026-01-01"},  # no time zone: not an instant
            {"_since": "yesterday"},
            {"_outputFormat": "text/csv"},
            {"_typeFilter": "Patient?active=true"},  # not supported: refused, not ignored
            {"_since": "2026-02-30T00:00:00Z"},  # the pattern's, but no such day
            {"_since": "0001-01-01T00:00:00+01:00"},  # before year 1 in UTC
            {"_since": "9999-12-31T23:00:00-05:00"},  # after 9999 in UTC
        ):
            response = await client.get(KICK_OFF, params=params, headers={**headers, **ASYNC})
            outcome(response, 400)
        # The Patient-level export does not serve Practitioners.
        response = await client.get(
            "/fhir/R4/Patient/$export",
            params={"_type": "Practitioner"},
            headers={**headers, **ASYNC},
        )
        outcome(response, 400)

    async def test_handling_lenient_ignores_unsupported_parameters(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        # Bulk Data IG: with `Prefer: handling=lenient` a server may ignore what it does not
        # support (without it, a 400 above).
        headers = await headers_for(clinic.tenant, "export:read")
        lenient = {**headers, **ASYNC, "Prefer": "respond-async, handling=lenient"}
        params = {"_type": "Patient", "_typeFilter": "Patient?active=true", "_elements": "id"}
        response = await client.get(KICK_OFF, params=params, headers=lenient)
        assert response.status_code == 202, response.text
        location = response.headers["Content-Location"]
        assert await run_export(app, clinic.tenant.clinic_id, location) == "completed"
        body = await manifest(client, location, headers)
        assert [entry["type"] for entry in body["output"]] == ["Patient"]

    async def test_one_export_per_client_at_a_time(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "export:read")
        location = await kick_off(client, headers)
        second = await client.get(KICK_OFF, headers={**headers, **ASYNC})
        outcome(second, 429)
        assert second.headers["Retry-After"] == str(bulk_exports.RETRY_AFTER_SECONDS)
        assert await run_export(app, clinic.tenant.clinic_id, location) == "completed"
        await kick_off(client, headers)  # the first is done: the next may start


class TestStatusAndFiles:
    async def test_the_whole_export_validates_and_counts(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        record = await create(client, clinic)
        headers = await headers_for(clinic.tenant, "export:read")
        location = await kick_off(client, headers, _outputFormat="application/fhir+ndjson")
        running = await client.get(relative(location), headers=headers)
        assert running.status_code == 202
        assert running.headers["Retry-After"] == str(bulk_exports.RETRY_AFTER_SECONDS)
        assert running.headers["X-Progress"]
        assert await run_export(app, clinic.tenant.clinic_id, location) == "completed"
        body = await manifest(client, location, headers)
        assert body["requiresAccessToken"] is True
        assert (
            body["request"]
            == "http://testserver/fhir/R4/$export?_outputFormat=application%2Ffhir%2Bndjson"
        )
        assert body["error"] == []
        assert "deleted" not in body  # only with _since
        by_type: dict[str, list[dict[str, Any]]] = {}
        for entry in body["output"]:
            found = await lines(client, entry["url"], headers)
            assert len(found) == entry["count"]
            assert {line["resourceType"] for line in found} == {entry["type"]}
            for line in found:
                get_fhir_model_class(entry["type"]).model_validate(line)
            by_type.setdefault(entry["type"], []).extend(found)
        assert {c["id"] for c in by_type["Patient"]} == {clinic.child_id, clinic.sibling_id}
        assert [p["id"] for p in by_type["Practitioner"]] == [clinic.practitioner_id]
        assert [e["id"] for e in by_type["Encounter"]] == [record["id"]]
        # Each reference resolves within the export.
        ids = {f"{kind}/{r['id']}" for kind, found in by_type.items() for r in found}
        for encounter in by_type["Encounter"]:
            assert encounter["subject"]["reference"] in ids
            for participant in encounter.get("participant", []):
                assert participant["individual"]["reference"] in ids

    async def test_the_patient_level_export_and_types(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "export:read")
        location = await kick_off(client, headers, url="/fhir/R4/Patient/$export")
        await run_export(app, clinic.tenant.clinic_id, location)
        body = await manifest(client, location, headers)
        assert "Practitioner" not in {entry["type"] for entry in body["output"]}
        await client.delete(relative(location), headers=headers)
        location = await kick_off(client, headers, _type="Practitioner")
        await run_export(app, clinic.tenant.clinic_id, location)
        body = await manifest(client, location, headers)
        assert [entry["type"] for entry in body["output"]] == ["Practitioner"]

    async def test_a_type_is_split_past_the_size_limit(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        for _ in range(5):
            await create(client, clinic)
        headers = await headers_for(clinic.tenant, "export:read")
        location = await kick_off(client, headers, _type="Encounter")
        await run_export(app, clinic.tenant.clinic_id, location, export_file_max_bytes=1024)
        body = await manifest(client, location, headers)
        counts = [entry["count"] for entry in body["output"]]
        assert len(counts) > 1
        assert sum(counts) == 5
        seen = [
            line["id"] for e in body["output"] for line in await lines(client, e["url"], headers)
        ]
        assert len(set(seen)) == 5

    async def test_another_clinic_sees_nothing_of_it(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        headers_for: Headers,
    ) -> None:
        headers = await headers_for(clinic.tenant, "export:read")
        location = await kick_off(client, headers)
        await run_export(app, clinic.tenant.clinic_id, location)
        body = await manifest(client, location, headers)
        theirs = await headers_for(other.tenant, "export:read")
        outcome(await client.get(relative(location), headers=theirs), 404)
        outcome(await client.get(relative(body["output"][0]["url"]), headers=theirs), 404)
        outcome(await client.delete(relative(location), headers=theirs), 404)
        # Their own export holds only their rows.
        mine = {clinic.child_id, clinic.sibling_id}
        their_location = await kick_off(client, theirs, _type="Patient")
        await run_export(app, other.tenant.clinic_id, their_location)
        their_body = await manifest(client, their_location, theirs)
        found = await lines(client, their_body["output"][0]["url"], theirs)
        assert {p["id"] for p in found} == {other.child_id, other.sibling_id}
        assert not mine & {p["id"] for p in found}
        # A file needs the scope too, and only the export's own file names are served.
        wrong = await headers_for(clinic.tenant, "children:read")
        outcome(await client.get(relative(body["output"][0]["url"]), headers=wrong), 403)
        files = relative(location).replace("bulk-status", "bulk-files")
        outcome(await client.get(f"{files}/Patient-9.ndjson", headers=headers), 404)
        outcome(await client.get(f"{files}/..%2F..%2Fsecrets", headers=headers), 404)
        outcome(await client.get(f"{files}/.env", headers=headers), 400)

    async def test_cancel_deletes_the_files(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "export:read")
        location = await kick_off(client, headers)
        response = await client.delete(relative(location), headers=headers)
        assert response.status_code == 202
        outcome(await client.get(relative(location), headers=headers), 404)
        # The job finds it cancelled and writes nothing.
        assert await run_export(app, clinic.tenant.clinic_id, location) == "cancelled"
        # A completed export's files go as well.
        location = await kick_off(client, headers)
        await run_export(app, clinic.tenant.clinic_id, location)
        url = relative((await manifest(client, location, headers))["output"][0]["url"])
        assert (await client.get(url, headers=headers)).status_code == 200
        assert (await client.delete(relative(location), headers=headers)).status_code == 202
        outcome(await client.get(url, headers=headers), 404)

    async def test_a_file_gone_from_the_disk_is_an_outcome_not_a_500(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        # The export directory lost (a cleaned volume, a replica that does not share it, a
        # cancel between a download's look-up and its read): the file is not there.
        headers = await headers_for(clinic.tenant, "export:read")
        location = await kick_off(client, headers)
        await run_export(app, clinic.tenant.clinic_id, location)
        url = relative((await manifest(client, location, headers))["output"][0]["url"])
        export_files.remove(app.state.settings.export_dir, clinic.tenant.clinic_id, _id(location))
        outcome(await client.get(url, headers=headers), 404)

    async def test_an_expired_export_is_gone_with_its_files(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "export:read")
        location = await kick_off(client, headers)
        await run_export(app, clinic.tenant.clinic_id, location)
        url = relative((await manifest(client, location, headers))["output"][0]["url"])
        settings = app.state.settings
        later = utcnow() + timedelta(hours=settings.export_expiry_hours, minutes=1)
        async with app.state.sessionmaker() as db:
            assert await bulk_exports.prune(db, settings, later) >= 1
            await db.commit()
        outcome(await client.get(relative(location), headers=headers), 404)
        outcome(await client.get(url, headers=headers), 404)


class TestSince:
    async def test_only_what_changed_and_what_was_deleted(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        old = await create(client, clinic)
        gone = await create(client, clinic)
        headers = await headers_for(clinic.tenant, "export:read")
        first = await kick_off(client, headers)
        await run_export(app, clinic.tenant.clinic_id, first)
        since = (await manifest(client, first, headers))["transactionTime"]
        new = await create(client, clinic)
        deleted = await client.delete(
            f"/v1/session-records/{gone['id']}",
            headers={**clinic.headers, "If-Match": f'"{gone["version"]}"'},
        )
        assert deleted.status_code == 204, deleted.text
        second = await kick_off(client, headers, _since=since, _type="Encounter")
        await run_export(app, clinic.tenant.clinic_id, second)
        body = await manifest(client, second, headers)
        [output] = body["output"]
        found = await lines(client, output["url"], headers)
        assert [e["id"] for e in found] == [new["id"]]
        assert old["id"] not in {e["id"] for e in found}
        [tombstones] = body["deleted"]
        assert tombstones["type"] == "Bundle"
        [bundle] = await lines(client, tombstones["url"], headers)
        Bundle.model_validate(bundle)
        assert bundle["type"] == "transaction"
        assert bundle["entry"] == [
            {"request": {"method": "DELETE", "url": f"Encounter/{gone['id']}"}}
        ]
