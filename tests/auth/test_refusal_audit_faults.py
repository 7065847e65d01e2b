"""No denial lost to a dying connection: the backend writing a denial's audit event is killed
(`pg_terminate_backend`) at that very moment. The event is written again on a fresh connection;
when it cannot be written at all, the answer is a 503, never a denial that left no trace."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from dmi_api.config import Settings
from tests.conftest import Database, build_test_app
from tests.support.records import seed_child
from tests.support.tenants import bearer, disable_client, make_tenant, mint_token

pytestmark = pytest.mark.postgres_only

# A trigger that kills the backend inserting an audit event of a request whose id starts with
# `kill<n>-`, for the first n such inserts after the sequence restarts.
_KILLER = """
CREATE SEQUENCE dmi_test_kills;
CREATE FUNCTION dmi_test_kill_auditing() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF NEW.request_id ~ '^kill[0-9]+-'
       AND nextval('dmi_test_kills') <= substring(NEW.request_id FROM '^kill([0-9]+)-')::int
    THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
        PERFORM pg_sleep(5);  -- the termination interrupts this
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER dmi_test_kill_auditing BEFORE INSERT ON audit_event
FOR EACH ROW EXECUTE FUNCTION dmi_test_kill_auditing();
"""
_UNKILLER = """
DROP TRIGGER IF EXISTS dmi_test_kill_auditing ON audit_event;
DROP FUNCTION IF EXISTS dmi_test_kill_auditing();
DROP SEQUENCE IF EXISTS dmi_test_kills;
"""


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def owner(database: Database) -> AsyncIterator[asyncpg.Connection]:
    """The database owner's connection, with the killing trigger installed."""
    connection = await asyncpg.connect(_dsn(database.owner_url))
    await connection.execute(_UNKILLER + _KILLER)
    try:
        yield connection
    finally:
        await connection.execute(_UNKILLER)
        await connection.close()


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app committing for real, on its own pools (the killed connections are its own)."""
    app = build_test_app(settings)
    yield app
    await app.state.direct.close()
    await app.state.engine.dispose()


@pytest.fixture
async def client(served: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=served)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


Denial = Callable[[FastAPI, httpx.AsyncClient, str], Awaitable[httpx.Response]]


async def _cross_clinic_read(app: FastAPI, client: httpx.AsyncClient, rid: str) -> httpx.Response:
    mine, theirs = await make_tenant(app), await make_tenant(app)
    child = await seed_child(app, theirs)
    headers = {**bearer(await mint_token(app, mine)), "X-Request-ID": rid}
    return await client.get(f"/v1/children/{child.id}", headers=headers)  # one statement


async def _wrong_scope(app: FastAPI, client: httpx.AsyncClient, rid: str) -> httpx.Response:
    tenant = await make_tenant(app)
    headers = {
        **bearer(await mint_token(app, tenant, scopes=["children:read"])),
        "X-Request-ID": rid,
    }
    return await client.get("/v1/practitioners", headers=headers)  # the session path


async def _disabled(app: FastAPI, client: httpx.AsyncClient, rid: str) -> httpx.Response:
    tenant = await make_tenant(app)
    token = await mint_token(app, tenant)
    await disable_client(app, tenant)
    return await client.get("/v1/practitioners", headers={**bearer(token), "X-Request-ID": rid})


DENIALS: dict[str, tuple[Denial, int]] = {
    "cross_clinic_404": (_cross_clinic_read, 404),
    "wrong_scope_403": (_wrong_scope, 403),
    "disabled_client_401": (_disabled, 401),
}


async def _recorded(owner: asyncpg.Connection, request_id: str) -> list[tuple[str, int]]:
    rows = await owner.fetch(
        "SELECT action, outcome FROM audit_event WHERE request_id = $1", request_id
    )
    return [(row["action"], row["outcome"]) for row in rows]


async def _killed(owner: asyncpg.Connection) -> int:
    # The sequence's last value: how many inserts the trigger looked at (and killed, up to n).
    value: int = await owner.fetchval("SELECT last_value FROM dmi_test_kills")
    return value


@pytest.mark.parametrize("kind", list(DENIALS))
async def test_a_denial_whose_connection_dies_is_recorded_on_a_fresh_one(
    served: FastAPI, client: httpx.AsyncClient, owner: asyncpg.Connection, kind: str
) -> None:
    deny, status = DENIALS[kind]
    request_id = f"kill1-{uuid.uuid4().hex}"
    response = await deny(served, client, request_id)
    assert response.status_code == status
    assert await _killed(owner) >= 1  # the first attempt's backend was killed
    assert await _recorded(owner, request_id) == [("denied", status)]


@pytest.mark.parametrize("kind", list(DENIALS))
async def test_a_denial_that_cannot_be_recorded_is_a_503(
    served: FastAPI, client: httpx.AsyncClient, owner: asyncpg.Connection, kind: str
) -> None:
    deny, _ = DENIALS[kind]
    request_id = f"kill99-{uuid.uuid4().hex}"
    response = await deny(served, client, request_id)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert await _recorded(owner, request_id) == []
    # The connections are healthy again: the next denial is recorded and answered.
    again = f"whole-{uuid.uuid4().hex}"
    tenant = await make_tenant(served)
    headers = {**bearer(await mint_token(served, tenant, scopes=[])), "X-Request-ID": again}
    assert (await client.get("/v1/practitioners", headers=headers)).status_code == 403
    assert await _recorded(owner, again) == [("denied", 403)]
