"""The whole Bulk Data flow as a SMART Backend Services client runs it, on committed rows with a
real `dmi-api worker` (pgqueuer): discovery, a `private_key_jwt` token, kick-off, polling that
honours `Retry-After`, every file downloaded and every line validated (fhir.resources R4B);
then an incremental export with `_since` that returns only what changed and lists what was
deleted."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import text

from dmi_api.config import Settings
from dmi_api.db import create_engine
from dmi_api.workers.queue import run_worker
from tests.support.forge import forge, new_rsa_pem, rsa_public_jwk
from tests.support.records import seed_child, seed_practitioner
from tests.support.tenants import TenantClient, bearer, make_tenant, mint_token

pytestmark = pytest.mark.postgres_only

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[None]:
    """`dmi-api worker` in this process until the test ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, concurrency=2, stop=stop))
    await asyncio.sleep(0.5)  # listening
    yield
    stop.set()
    await asyncio.wait_for(task, 30)


class BulkClient:
    """What a SMART Backend Services client does, over HTTP only."""

    def __init__(self, http: httpx.AsyncClient, client_id: str, pem: bytes) -> None:
        self.http, self.client_id, self.pem = http, client_id, pem
        self.headers: dict[str, str] = {}
        self.waited: list[float] = []

    async def authorize(self) -> None:
        config = (await self.http.get("/fhir/R4/.well-known/smart-configuration")).json()
        assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]
        now = int(time.time())
        assertion = forge(
            {"alg": "RS256", "kid": "bulk-key", "typ": "JWT"},
            {
                "iss": self.client_id,
                "sub": self.client_id,
                "aud": config["token_endpoint"],
                "exp": now + 240,
                "iat": now,
                "jti": secrets.token_urlsafe(16),
            },
            rsa_private_pem=self.pem,
        )
        response = await self.http.post(
            config["token_endpoint"].removeprefix("http://testserver"),
            data={
                "grant_type": "client_credentials",
                "scope": "export:read",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            },
        )
        assert response.status_code == 200, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def export(self, **params: str) -> dict[str, Any]:
        kick_off = await self.http.get(
            "/fhir/R4/$export",
            params=params,
            headers={**self.headers, "Prefer": "respond-async", "Accept": "application/fhir+json"},
        )
        assert kick_off.status_code == 202, kick_off.text
        status = kick_off.headers["Content-Location"].removeprefix("http://testserver")
        deadline = time.monotonic() + 60
        while True:
            polled = await self.http.get(status, headers=self.headers)
            if polled.status_code == 200:
                manifest: dict[str, Any] = polled.json()
                return manifest
            assert polled.status_code == 202, polled.text
            assert time.monotonic() < deadline, "the export did not finish"
            wait = float(polled.headers["Retry-After"])
            self.waited.append(wait)
            await asyncio.sleep(wait)

    async def download(self, url: str) -> list[dict[str, Any]]:
        async with self.http.stream(
            "GET", url.removeprefix("http://testserver"), headers=self.headers
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/fhir+ndjson")
            body = b"".join([chunk async for chunk in response.aiter_bytes()])
        return [orjson.loads(line) for line in body.splitlines()]


async def _backdate(settings: Settings, tenant: TenantClient) -> None:
    """The seeded rows as if written an hour ago (as the table's owner)."""
    owner = create_engine(
        settings.model_copy(update={"database_url": settings.migration_database_url})
    )
    try:
        async with owner.begin() as db:
            for table in ("child", "practitioner", "session_record"):
                await db.execute(
                    text(
                        f"UPDATE {table} SET updated_at = now() - interval '1 hour'"  # noqa: S608
                        " WHERE clinic_id = :c"
                    ),
                    {"c": tenant.clinic_id},
                )
    finally:
        await owner.dispose()


async def test_a_bulk_data_client_exports_everything_then_what_changed(
    live_app: FastAPI, live_client: httpx.AsyncClient, settings: Settings, worker: None
) -> None:
    pem = new_rsa_pem()
    tenant = await make_tenant(
        live_app,
        scopes=["export:read"],
        auth_method="private_key_jwt",
        jwks={"keys": [rsa_public_jwk(pem, "bulk-key")]},
    )
    # The EHR side's records, committed.
    kept = await seed_child(live_app, tenant, given_name="Kept")
    leaving = await seed_child(live_app, tenant, given_name="Leaving")
    practitioner = await seed_practitioner(live_app, tenant)
    writer = bearer(await mint_token(live_app, tenant, scopes=["children:write", "sessions:write"]))
    session = {
        "child_id": str(kept.id),
        "practitioner_id": str(practitioner.id),
        "type": "dmi",
        "setting": "clinic",
        "started_at": "2026-01-05T09:00:00Z",
        "duration_minutes": 45,
    }
    first_record = await live_client.post("/v1/session-records", json=session, headers=writer)
    assert first_record.status_code == 201, first_record.text
    await _backdate(settings, tenant)

    bulk = BulkClient(live_client, str(tenant.client_id), pem)
    await bulk.authorize()
    manifest = await bulk.export()
    assert manifest["requiresAccessToken"] is True
    assert bulk.waited, "the client polled at least once, as Retry-After said"
    exported: dict[str, list[dict[str, Any]]] = {}
    for entry in manifest["output"]:
        found = await bulk.download(entry["url"])
        assert len(found) == entry["count"]
        for resource in found:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        exported.setdefault(entry["type"], []).extend(found)
    assert {p["id"] for p in exported["Patient"]} == {str(kept.id), str(leaving.id)}
    assert [e["id"] for e in exported["Encounter"]] == [first_record.json()["id"]]
    ids = {f"{kind}/{r['id']}" for kind, found in exported.items() for r in found}
    for encounter in exported["Encounter"]:
        assert encounter["subject"]["reference"] in ids
        assert encounter["participant"][0]["individual"]["reference"] in ids

    # What changes next: a new session record, a child deleted.
    second_record = await live_client.post(
        "/v1/session-records",
        json={**session, "started_at": "2026-01-12T09:00:00Z"},
        headers=writer,
    )
    assert second_record.status_code == 201
    gone = await live_client.delete(
        f"/v1/children/{leaving.id}", headers={**writer, "If-Match": f'"{leaving.version}"'}
    )
    assert gone.status_code == 204, gone.text

    await bulk.authorize()
    changed = await bulk.export(_since=manifest["transactionTime"])
    assert [entry["type"] for entry in changed["output"]] == ["Encounter"]
    [encounters] = [await bulk.download(entry["url"]) for entry in changed["output"]]
    assert [e["id"] for e in encounters] == [second_record.json()["id"]]
    [deleted] = changed["deleted"]
    [bundle] = await bulk.download(deleted["url"])
    Bundle.model_validate(bundle)
    assert bundle["entry"] == [{"request": {"method": "DELETE", "url": f"Patient/{leaving.id}"}}]
