"""`/v1/exports`: the same job and files as FHIR's `$export`, NDJSON of the `/v1`
representations (each line equal to the resource's own GET), status, cancel, isolation."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import JSON, cast, literal, select, update
from sqlmodel import col

from dmi_api.models import SessionRecord
from dmi_api.services.session_record_views import DOCUMENTS_FORM, documents_form
from dmi_api.tenant_scope import bind_settings
from tests.conftest import BACKEND, Database
from tests.exports.support import lines, relative, run_export
from tests.records.conftest import Headers
from tests.support.clinics import Clinic
from tests.support.sessions import create, if_match, lives
from tests.support.tenants import bearer, make_tenant, mint_token
from tests.test_database_locks import holding, until_waiting

URL = "/v1/exports"


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


async def start(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.headers["Location"] == f"http://testserver{URL}/{response.json()['id']}"
    assert response.headers["Retry-After"]
    started: dict[str, Any] = response.json()
    return started


class TestCreateExport:
    async def test_no_token_wrong_scope_bad_input(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        problem(await client.post(URL, json={}), 401)
        wrong = await headers_for(clinic.tenant, "children:read")
        problem(await client.post(URL, json={}, headers=wrong), 403)
        headers = await headers_for(clinic.tenant, "export:read")
        bodies: list[dict[str, Any]] = [
            {"resources": []},
            {"resources": ["children", "children"]},
            {"resources": ["audit_events"]},
            {"since": "yesterday"},
            {"unknown": 1},
        ]
        for body in bodies:
            problem(await client.post(URL, json=body, headers=headers), 422)

    async def test_one_at_a_time(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "export:read")
        first = await start(client, headers)
        assert first["status"] == "queued"
        busy = problem(await client.post(URL, json={}, headers=headers), 429)
        assert busy["code"] == "too_many_requests"
        await run_export(app, clinic.tenant.clinic_id, f"{URL}/{first['id']}")
        await start(client, headers)

    async def test_a_kick_off_resent_with_its_key_is_replayed_not_refused(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        # The answer to a kick-off was lost (a connection cut): the client sends it again with
        # the same key and is told of the export it started, not 429 for its own export.
        headers = await headers_for(clinic.tenant, "export:read")
        keyed = {**headers, "Idempotency-Key": f"nightly-{uuid.uuid4()}"}
        body = {"resources": ["children"]}
        first = await client.post(URL, json=body, headers=keyed)
        assert first.status_code == 202, first.text
        again = await client.post(URL, json=body, headers=keyed)
        assert again.status_code == 202, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["Location"] == first.headers["Location"]
        # Another key while it runs is another export: one at a time, and the 429 keeps no key.
        other = {**headers, "Idempotency-Key": f"other-{uuid.uuid4()}"}
        problem(await client.post(URL, json=body, headers=other), 429)
        problem(await client.post(URL, json={"resources": ["milestones"]}, headers=keyed), 422)
        await run_export(app, clinic.tenant.clinic_id, f"{URL}/{first.json()['id']}")
        second = await client.post(URL, json=body, headers=other)
        assert second.status_code == 202, second.text
        assert second.json()["id"] != first.json()["id"]


class TestGetExport:
    async def test_running_then_done_with_each_line_as_its_get_shows_it(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        record = await create(client, clinic)
        headers = await headers_for(clinic.tenant, "export:read")
        started = await start(client, headers, resources=["children", "session_records"])
        status = f"{URL}/{started['id']}"
        running = await client.get(status, headers=headers)
        assert running.status_code == 202
        assert running.json()["status"] == "queued"
        await run_export(app, clinic.tenant.clinic_id, status)
        done = await client.get(status, headers=headers)
        assert done.status_code == 200, done.text
        body = done.json()
        assert body["status"] == "completed"
        assert body["transaction_time"]
        assert [f["type"] for f in body["output"]] == ["children", "session_records"]
        [children, records] = [await lines(client, f["url"], headers) for f in body["output"]]
        assert {c["id"] for c in children} == {clinic.child_id, clinic.sibling_id}
        got = await client.get(f"/v1/session-records/{record['id']}", headers=clinic.headers)
        assert records == [got.json()]
        child = await client.get(f"/v1/children/{clinic.child_id}", headers=clinic.headers)
        assert child.json() in children

    async def test_every_resource_line_equals_its_get(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        await create(client, clinic)
        for url, body in (
            (
                "/v1/assessments",
                {
                    "child_id": clinic.child_id,
                    "assessor_id": clinic.practitioner_id,
                    "instrument": "gmfm88",
                    "performed_on": "2025-03-04",
                    "status": "final",
                    "items": {"1": 3, "18": 1, "52": "NT"},
                },
            ),
            (
                "/v1/milestones",
                {
                    "child_id": clinic.child_id,
                    "milestone": "rolling",
                    "achieved_on": "2024-09-01",
                },
            ),
        ):
            created = await client.post(url, json=body, headers=clinic.headers)
            assert created.status_code == 201, created.text
        headers = await headers_for(clinic.tenant, "export:read")
        started = await start(client, headers)
        await run_export(app, clinic.tenant.clinic_id, f"{URL}/{started['id']}")
        body = (await client.get(f"{URL}/{started['id']}", headers=headers)).json()
        paths = {
            "children": "children",
            "practitioners": "practitioners",
            "exercises": "exercises",
            "prescriptions": "prescriptions",
            "session_records": "session-records",
            "assessments": "assessments",
            "milestones": "milestones",
        }
        assert sorted(f["type"] for f in body["output"]) == sorted(paths)
        for entry in body["output"]:
            for line in await lines(client, entry["url"], headers):
                got = await client.get(
                    f"/v1/{paths[entry['type']]}/{line['id']}", headers=clinic.headers
                )
                assert got.status_code == 200, got.text
                assert line == got.json(), entry["type"]

    async def test_session_records_as_stored_or_of_an_older_shape_equal_their_get(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        # Exercises and notes are written out as stored when they already are the API's form;
        # a record amended, one stored with keys missing, in another order, or over several
        # lines (an older writer) is still its GET.
        amended, _deleted = await lives(client, clinic)
        older = await create(client, clinic)
        reordered = await create(client, clinic)
        exercise = clinic.exercise_ids[1]
        await _store(
            app,
            clinic,
            older["id"],
            exercises=f'[{{"exercise_id": "{exercise}", "repetitions": 3}}]',
            notes='{\n  "plan": "Walk with support.",\n  "subjective": null\n}',
        )
        stored = reordered["exercises"][0]
        await _store(
            app,
            clinic,
            reordered["id"],
            exercises=orjson.dumps([dict(reversed(stored.items()))]).decode(),
            notes='{"plan":null,"assessment":"Better.","objective":null,"subjective":null}',
        )
        headers = await headers_for(clinic.tenant, "export:read")
        started = await start(client, headers, resources=["session_records"])
        await run_export(app, clinic.tenant.clinic_id, f"{URL}/{started['id']}")
        body = (await client.get(f"{URL}/{started['id']}", headers=headers)).json()
        records = await lines(client, body["output"][0]["url"], headers)
        assert {r["id"] for r in records} == {amended["id"], older["id"], reordered["id"]}
        for line in records:
            got = await client.get(f"/v1/session-records/{line['id']}", headers=clinic.headers)
            assert line == got.json()
        shown = {r["id"]: r for r in records}
        assert shown[amended["id"]]["amendments"][0]["text"] == "45 minutes, not 50."
        assert shown[older["id"]]["exercises"] == [
            {
                "exercise_id": exercise,
                "prescription_item_id": None,
                "repetitions": 3,
                "sets": None,
                "support_point": None,
                "response": None,
                "note": None,
            }
        ]
        assert shown[older["id"]]["notes"]["plan"] == "Walk with support."
        assert shown[reordered["id"]]["notes"]["assessment"] == "Better."

    async def test_since_lists_deletions_and_another_clinic_sees_nothing(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        headers_for: Headers,
    ) -> None:
        gone = await create(client, clinic)
        headers = await headers_for(clinic.tenant, "export:read")
        first = await start(client, headers, resources=["session_records"])
        await run_export(app, clinic.tenant.clinic_id, f"{URL}/{first['id']}")
        since = (await client.get(f"{URL}/{first['id']}", headers=headers)).json()
        deleted = await client.delete(
            f"/v1/session-records/{gone['id']}",
            headers={**clinic.headers, "If-Match": f'"{gone["version"]}"'},
        )
        assert deleted.status_code == 204
        second = await start(
            client, headers, resources=["session_records"], since=since["transaction_time"]
        )
        await run_export(app, clinic.tenant.clinic_id, f"{URL}/{second['id']}")
        body = (await client.get(f"{URL}/{second['id']}", headers=headers)).json()
        assert body["output"] == []  # nothing changed but the deletion
        [tombstones] = body["deleted"]
        [line] = await lines(client, tombstones["url"], headers)
        assert line["id"] == gone["id"]
        assert line["deleted_at"]
        theirs = await headers_for(other.tenant, "export:read")
        problem(await client.get(f"{URL}/{second['id']}", headers=theirs), 404)
        problem(await client.get(relative(tombstones["url"]), headers=theirs), 404)
        problem(await client.delete(f"{URL}/{second['id']}", headers=theirs), 404)


class TestDeleteExport:
    async def test_cancel_then_404(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "export:read")
        started = await start(client, headers)
        status = f"{URL}/{started['id']}"
        assert (await client.delete(status, headers=headers)).status_code == 204
        problem(await client.get(status, headers=headers), 404)
        assert await run_export(app, clinic.tenant.clinic_id, status) == "cancelled"
        await start(client, headers)  # a cancelled export no longer counts

    @pytest.mark.postgres_only
    async def test_a_cancel_committed_while_the_job_starts_it_stays_cancelled(
        self, live_app: FastAPI, live_client: httpx.AsyncClient, database: Database
    ) -> None:
        # Another replica's DELETE (its UPDATE, as the route writes it) holds the row while
        # the job reads it as queued and starts it; the cancel then commits.
        tenant = await make_tenant(live_app, scopes=["export:read"])
        headers = bearer(await mint_token(live_app, tenant))
        started = await start(live_client, headers)
        status = f"{URL}/{started['id']}"
        cancel = "UPDATE bulk_export SET status = 'cancelled', finished_at = now() WHERE id = $1"
        async with holding(database, "SELECT 1") as watcher:
            async with holding(database, cancel, uuid.UUID(started["id"])):
                job = asyncio.ensure_future(run_export(live_app, tenant.clinic_id, status))
                await until_waiting(watcher, 1)
            assert await job == "cancelled"
        problem(await live_client.get(status, headers=headers), 404)


async def _store(
    app: FastAPI, clinic: Clinic, record_id: str, form: int | None = None, **texts: str
) -> None:
    """Store a record's JSON columns as this text, as an older writer may have left them (its
    `documents_form`: NULL, from before the column was kept, unless `form`)."""
    values: dict[str, Any] = {
        name: cast(literal(text), JSON) if BACKEND == "postgres" else literal(text)
        for name, text in texts.items()
    }
    values["documents_form"] = form
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic.tenant.clinic_id)
        statement = (
            update(SessionRecord)
            .where(col(SessionRecord.id) == uuid.UUID(record_id))
            .values(**values)
        )
        await db.execute(statement)
        await db.commit()


async def _form(app: FastAPI, clinic: Clinic, record_id: str) -> int | None:
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic.tenant.clinic_id)
        statement = select(col(SessionRecord.documents_form)).where(
            col(SessionRecord.id) == uuid.UUID(record_id)
        )
        form: int | None = (await db.execute(statement)).scalar_one()
        return form


class TestDocumentsForm:
    """Every write marks a record whose exercises and notes have exactly the API's fields; the
    export writes a marked record's documents as stored, an unmarked one's checked."""

    async def test_writes_mark_what_they_store(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        made = await create(client, clinic)
        assert await _form(app, clinic, made["id"]) == DOCUMENTS_FORM
        await _store(
            app, clinic, made["id"], notes='{"plan": "Older.", "subjective": null}', form=None
        )
        exercises = [{"exercise_id": str(clinic.exercise_ids[0]), "repetitions": 4}]
        patched = await client.patch(
            f"/v1/session-records/{made['id']}",
            json={"exercises": exercises},
            headers=if_match(clinic, made),
        )
        assert patched.status_code == 200, patched.text
        # The notes are still of the older shape: not marked.
        assert await _form(app, clinic, made["id"]) is None
        notes = {"plan": "Now.", "subjective": None, "objective": None, "assessment": None}
        again = await client.patch(
            f"/v1/session-records/{made['id']}",
            json={"notes": notes},
            headers=if_match(clinic, patched.json()),
        )
        assert again.status_code == 200, again.text
        assert await _form(app, clinic, made["id"]) == DOCUMENTS_FORM

    async def test_marked_documents_over_several_lines_are_written_on_one(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        made = await create(client, clinic)
        entry = made["exercises"][0]
        await _store(
            app,
            clinic,
            made["id"],
            form=DOCUMENTS_FORM,
            exercises=orjson.dumps([entry], option=orjson.OPT_INDENT_2).decode(),
            notes=orjson.dumps(made["notes"], option=orjson.OPT_INDENT_2).decode(),
        )
        headers = await headers_for(clinic.tenant, "export:read")
        started = await start(client, headers, resources=["session_records"])
        await run_export(app, clinic.tenant.clinic_id, f"{URL}/{started['id']}")
        body = (await client.get(f"{URL}/{started['id']}", headers=headers)).json()
        [line] = await lines(client, body["output"][0]["url"], headers)
        got = await client.get(f"/v1/session-records/{made['id']}", headers=clinic.headers)
        assert line == got.json()
        assert line["exercises"] == [entry]


def test_the_form_is_given_only_to_the_apis_fields() -> None:
    exercise = dict.fromkeys(
        (
            "exercise_id",
            "prescription_item_id",
            "repetitions",
            "sets",
            "support_point",
            "response",
            "note",
        )
    )
    notes = dict.fromkeys(("subjective", "objective", "assessment", "plan"))
    assert documents_form([exercise, dict(reversed(exercise.items()))], notes) == DOCUMENTS_FORM
    assert documents_form([], notes) == DOCUMENTS_FORM
    assert documents_form([{**exercise, "extra": 1}], notes) is None
    assert documents_form([{k: v for k, v in exercise.items() if k != "note"}], notes) is None
    assert documents_form([exercise], {**notes, "extra": None}) is None
    assert documents_form([exercise], {"plan": None}) is None
    assert documents_form([exercise, "text"], notes) is None
    assert documents_form({"exercise_id": None}, notes) is None
    assert documents_form([exercise], [notes]) is None
