"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dmi_api.auth.signing_keys import KeyRing
from dmi_api.config import Settings
from dmi_api.migrate import alembic_config
from tests.conftest import APP_GROUP_ROLE, Database, build_test_app
from tests.support.records import seed_child
from tests.support.tenants import bearer, make_tenant, mint_token
from tests.test_migrations import scratch_url  # noqa: F401 (a fixture)

# A revision older than the newest (the one before the readiness grant).
OLDER_REVISION = "9d4e2a7c1b36"


async def test_healthz_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_healthz_does_not_need_the_database(settings: Settings) -> None:
    unreachable = SecretStr("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    app = build_test_app(settings.model_copy(update={"database_url": unreachable}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
    await app.state.engine.dispose()


async def test_readyz_is_503_until_the_database_is_migrated_to_this_version(
    settings: Settings,
    database: Database,
    scratch_url: str,  # noqa: F811 (the fixture)
) -> None:
    """A replica whose database is empty or behind the code cannot serve (the tables or columns
    it needs are missing: its requests answer 503): a load balancer must not send it traffic."""
    owner = alembic_config(scratch_url, APP_GROUP_ROLE)
    app_url = scratch_url
    if not settings.is_sqlite:  # the service's own role, not the owner
        name = make_url(scratch_url).database
        app_url = make_url(database.app_url).set(database=name).render_as_string(False)

    async def readyz() -> int:
        app = build_test_app(settings.model_copy(update={"database_url": SecretStr(app_url)}))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            response = await client.get("/readyz")
        await app.state.engine.dispose()
        await app.state.readiness.close()
        if response.status_code != 200:
            assert response.headers["content-type"] == "application/problem+json"
            assert "retry-after" in response.headers
        return response.status_code

    assert await readyz() == 503  # empty
    await asyncio.to_thread(command.upgrade, owner, OLDER_REVISION)
    assert await readyz() == 503  # behind
    await asyncio.to_thread(command.upgrade, owner, "head")
    assert await readyz() == 200


async def test_readyz_is_503_while_the_secret_key_cannot_open_the_signing_key(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    """A replica given another DMI_SECRET_KEY than the one the signing keys were sealed with
    (a typo, a host not yet given a rotated secret) answers its token endpoint and JWKS 500:
    readiness must keep a load balancer's traffic away from it, without showing a secret."""
    await app.state.keyring.current()  # the first key, sealed with the replicas' secret
    other = "another-secret-than-the-replicas-0123456789"
    keyring = app.state.keyring
    app.state.keyring = KeyRing(
        settings.model_copy(update={"secret_key": SecretStr(other)}),
        lambda: app.state.sessionmaker,
    )
    try:
        refused = await client.get("/readyz")
        token = await client.get("/.well-known/jwks.json")
    finally:
        app.state.keyring = keyring
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert "retry-after" in refused.headers
    assert "DMI_SECRET_KEY" in refused.json()["detail"]
    assert other not in refused.text
    assert settings.secret_key.get_secret_value() not in refused.text
    assert token.status_code == 500  # what readiness keeps traffic away from
    assert (await client.get("/readyz")).status_code == 200  # the replicas' own secret


async def test_requests_on_a_database_not_migrated_are_503_and_the_log_says_migrate(
    settings: Settings,
    scratch_url: str,  # noqa: F811 (the fixture)
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`dmi-api serve` on a PostgreSQL database nobody migrated yet (`make run` with
    DMI_DATABASE_URL set, before `dmi-api migrate`): every request that reached the database was
    a 500 `internal_error`, logged as an 'unhandled exception' of ProgrammingError (SQLite's
    answer, 503, said only 'database unavailable'). Now 503 with Retry-After, as /readyz, and a
    warning that names the remedy."""
    app = build_test_app(settings.model_copy(update={"database_url": SecretStr(scratch_url)}))
    caplog.set_level(logging.WARNING, logger="dmi_api")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            token = await client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(str(uuid.uuid4()), "not-the-secret"),
            )
            jwks = await client.get("/.well-known/jwks.json")
    finally:
        await app.state.engine.dispose()
        await app.state.readiness.close()
    for response in (token, jwks):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "retry-after" in response.headers
        assert response.json()["code"] == "service_unavailable"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    told = [r for r in caplog.records if "dmi-api migrate" in r.getMessage()]
    assert told, [r.getMessage() for r in caplog.records]


async def test_a_schema_behind_the_code_is_503_on_the_one_statement_path_too(
    settings: Settings,
    scratch_url: str,  # noqa: F811 (the fixture)
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A rolling deploy's new replica before `dmi-api migrate`: a column its statements name is
    not there yet. A child's read (one asyncpg statement on PostgreSQL) was a 500 with an
    'unhandled exception' of UndefinedColumnError; now the 503 of /readyz."""
    await asyncio.to_thread(command.upgrade, alembic_config(scratch_url), "head")
    app = build_test_app(
        settings.model_copy(
            update={"database_url": SecretStr(scratch_url), "issuer": "http://testserver"}
        )
    )
    caplog.set_level(logging.WARNING, logger="dmi_api")
    try:
        tenant = await make_tenant(app)
        child = await seed_child(app, tenant)
        headers = bearer(await mint_token(app, tenant))
        async with app.state.engine.begin() as db:  # the column a later migration would add
            await db.execute(text("ALTER TABLE child RENAME COLUMN sex TO sex_not_yet"))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            response = await client.get(f"/v1/children/{child.id}", headers=headers)
    finally:
        await app.state.engine.dispose()
        await app.state.readiness.close()
    assert response.status_code == 503, response.text
    assert "retry-after" in response.headers
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r for r in caplog.records if "dmi-api migrate" in r.getMessage()]
