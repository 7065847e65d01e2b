"""The audit trail: every access and every denial, attributable, append-only, clinic-scoped."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.support.tenants import TenantClient, bearer, mint_token


async def _events(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> list[dict[str, object]]:
    response = await client.get("/v1/audit-events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, object]] = response.json()["data"]
    return data


@pytest.fixture
async def auditor_a(app: FastAPI, tenant_a: TenantClient) -> dict[str, str]:
    return bearer(await mint_token(app, tenant_a, scopes=["audit:read"]))


class TestListAuditEvents:
    async def test_no_token(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/v1/audit-events")).status_code == 401

    async def test_wrong_scope(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient
    ) -> None:
        token = await mint_token(app, tenant_a, scopes=["clients:admin"])
        assert (await client.get("/v1/audit-events", headers=bearer(token))).status_code == 403

    async def test_bad_filters(self, client: httpx.AsyncClient, auditor_a: dict[str, str]) -> None:
        for params in (
            {"from": "yesterday"},
            {"outcome": "9999"},
            {"limit": "0"},
            {"child_id": "x"},
        ):
            response = await client.get("/v1/audit-events", params=params, headers=auditor_a)
            assert response.status_code == 422, params

    async def test_reads_creates_and_denials_are_recorded(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        auditor_a: dict[str, str],
    ) -> None:
        admin = bearer(await mint_token(app, tenant_a, scopes=["clients:admin"]))
        created = await client.post(
            "/v1/clients", json={"name": "x", "scopes": ["children:read"]}, headers=admin
        )
        new_id = created.json()["client_id"]
        await client.get(f"/v1/clients/{new_id}", headers=admin)
        cross = await client.get(f"/v1/clients/{tenant_b.client_id}", headers=admin)
        assert cross.status_code == 404
        no_scope = await client.get("/v1/clients", headers=auditor_a)
        assert no_scope.status_code == 403

        events = await _events(client, auditor_a)
        by_action = {(e["action"], e["outcome"]) for e in events}
        assert ("create", 201) in by_action
        assert ("read", 200) in by_action
        assert ("denied", 404) in by_action
        assert ("denied", 403) in by_action
        denied_404 = next(e for e in events if e["outcome"] == 404)
        assert denied_404["resource_id"] == str(tenant_b.client_id)
        assert denied_404["client_id"] == str(tenant_a.client_id)
        for event in events:
            assert event["clinic_id"] == str(tenant_a.clinic_id)
            assert event["request_id"]
            assert event["token_jti"]
        # The other clinic sees none of it.
        auditor_b = bearer(await mint_token(app, tenant_b, scopes=["audit:read"]))
        assert all(
            e["clinic_id"] == str(tenant_b.clinic_id) for e in await _events(client, auditor_b)
        )

    async def test_a_probe_is_found_by_the_id_it_named_however_spelt(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        auditor_a: dict[str, str],
    ) -> None:
        # The path takes any spelling of a UUID; the trail files the id itself, or a search
        # by the id would miss the probes spelt otherwise.
        admin = bearer(await mint_token(app, tenant_a, scopes=["clients:admin"]))
        target = str(tenant_b.client_id)
        spellings = [target.upper(), target.replace("-", ""), f"{{{target}}}", f"urn:uuid:{target}"]
        for spelling in spellings:
            probe = await client.get(f"/v1/clients/{spelling}", headers=admin)
            assert probe.status_code == 404, spelling
        found = await _events(client, auditor_a, action="denied", resource_id=target)
        assert len(found) == len(spellings)

    async def test_a_probe_of_an_export_or_a_fhir_resource_names_its_id(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        auditor_a: dict[str, str],
    ) -> None:
        # Routes whose path parameter is plain `id` file the id they were asked for, as the
        # others do, so that the investigator's search by it finds the probe.
        exporter_b = bearer(await mint_token(app, tenant_b, scopes=["export:read"]))
        started = await client.post("/v1/exports", json={}, headers=exporter_b)
        assert started.status_code == 202, started.text
        export_id = started.json()["id"]
        probes = {
            f"/v1/exports/{export_id}": export_id,
            f"/v1/exports/{export_id}/files/children-1.ndjson": export_id,
            f"/fhir/R4/bulk-status/{export_id}": export_id,
            f"/fhir/R4/Patient/{tenant_b.client_id}": str(tenant_b.client_id),
        }
        reader = bearer(await mint_token(app, tenant_a))
        for url, named in probes.items():
            assert (await client.get(url, headers=reader)).status_code == 404, url
            found = await _events(client, auditor_a, action="denied", resource_id=named)
            assert found, url

    async def test_a_denial_files_no_mrn_diagnosis_or_name_from_the_path(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        auditor_a: dict[str, str],
    ) -> None:
        # The trail files our ids, never the PHI a path can carry: an MRN (the upsert's
        # external_id), a Condition id's diagnosis code, a name typed where an id goes.
        child = str(uuid.uuid4())
        reader = bearer(await mint_token(app, tenant_a, scopes=["children:read"]))
        probes = {
            "/v1/children/by-external-id/MRN-SECRET-42": None,
            f"/fhir/R4/Condition/{child}.diagnosis.Q90.9": child,
            "/v1/children/Mia-Lopez-2024": None,
        }
        for url in probes:
            headers = {**reader, "X-Request-ID": f"phi-{uuid.uuid4().hex}"}
            send = client.put if "by-external-id" in url else client.delete
            if url.startswith("/fhir/"):
                send = client.get
                headers = bearer(await mint_token(app, tenant_a, scopes=["sessions:read"]))
                headers["X-Request-ID"] = f"phi-{uuid.uuid4().hex}"
            answer = await send(url, headers=headers)
            assert answer.status_code == 403, (url, answer.text)
            [event] = [
                e
                for e in await _events(client, auditor_a, action="denied", limit="200")
                if e["request_id"] == headers["X-Request-ID"]
            ]
            assert event["resource_id"] == probes[url], url
        every = (await client.get("/v1/audit-events?limit=200", headers=auditor_a)).text
        for word in ("MRN-SECRET", "Q90", "Mia-Lopez"):
            assert word not in every

    async def test_filters_and_pagination(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        auditor_a: dict[str, str],
    ) -> None:
        admin = bearer(await mint_token(app, tenant_a, scopes=["clients:admin"]))
        for _ in range(3):
            await client.get(f"/v1/clients/{tenant_a.client_id}", headers=admin)
        reads = await _events(client, auditor_a, action="read", resource_id=str(tenant_a.client_id))
        assert len(reads) == 3
        first = (
            await client.get(
                "/v1/audit-events", params={"action": "read", "limit": "2"}, headers=auditor_a
            )
        ).json()
        assert len(first["data"]) == 2
        rest = (
            await client.get(
                "/v1/audit-events",
                params={"action": "read", "limit": "2", "cursor": first["next_cursor"]},
                headers=auditor_a,
            )
        ).json()
        assert len(rest["data"]) == 1
        other_filter = await client.get(
            "/v1/audit-events",
            params={"action": "list", "cursor": first["next_cursor"]},
            headers=auditor_a,
        )
        assert other_filter.status_code == 422

    async def test_event_holds_no_payload_or_names(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        auditor_a: dict[str, str],
    ) -> None:
        admin = bearer(await mint_token(app, tenant_a, scopes=["clients:admin"]))
        await client.post(
            "/v1/clients",
            json={"name": "Jane Doe's phone", "scopes": ["children:read"]},
            headers=admin,
        )
        response = await client.get("/v1/audit-events", headers=auditor_a)
        assert "Jane" not in response.text


async def _inserts_in_this_transaction(db_connection: AsyncConnection, table: str) -> int:
    query = text("SELECT n_tup_ins FROM pg_stat_xact_user_tables WHERE relname = :t")
    return int((await db_connection.execute(query, {"t": table})).scalar_one_or_none() or 0)


async def test_invalid_token_denials_are_recorded_without_a_clinic(
    client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    is_postgres = db_connection.dialect.name == "postgresql"
    tables = ("audit_event", "audit_event_unattributed")
    before = [await _inserts_in_this_transaction(db_connection, t) for t in tables if is_postgres]
    request_id = f"attack-{uuid.uuid4().hex}"
    response = await client.get(
        "/v1/clients", headers={"Authorization": "Bearer forged", "X-Request-ID": request_id}
    )
    assert response.status_code == 401
    if is_postgres:
        # The app's role may only insert events of no clinic; count the insert (in the table
        # of unattributed events, none in any clinic's trail).
        after = [await _inserts_in_this_transaction(db_connection, t) for t in tables]
        assert after == [before[0], before[1] + 1]
        return
    query = "SELECT outcome, action FROM {} WHERE request_id = :r"
    found = await db_connection.execute(
        text(query.format("audit_event_unattributed")), {"r": request_id}
    )
    assert tuple(found.one()) == (401, "denied")
    trail = await db_connection.execute(text(query.format("audit_event")), {"r": request_id})
    assert trail.all() == []


@pytest.mark.postgres_only
async def test_app_role_cannot_read_unattributed_events(
    client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        async with db_connection.begin_nested():
            await db_connection.execute(text("SELECT count(*) FROM audit_event_unattributed"))


@pytest.mark.postgres_only
async def test_app_role_cannot_change_or_delete_audit_events(
    client: httpx.AsyncClient, db_connection: AsyncConnection, tenant_a: TenantClient
) -> None:
    for statement in ("UPDATE audit_event SET outcome = 200", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with db_connection.begin_nested():
                await db_connection.execute(text(statement))
