"""Direct reads (PostgreSQL): one statement per GET/list of children, equal to the session path.

The rolled-back `app` runs its direct statements on the test's own connection; `live_app` on
its real pool, where a connection's clinic binding is kept between requests.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from dmi_api.auth.principal import Principal
from dmi_api.config import Settings
from dmi_api.direct.bound_db import DirectDb, PoolSource
from tests.conftest import Database
from tests.records.conftest import Headers
from tests.support.direct import audit_rows, both_paths, serve_with, without_request_id
from tests.support.records import seed_child
from tests.support.tenants import TenantClient, bearer, disable_client, make_tenant, mint_token

pytestmark = pytest.mark.postgres_only
URL = "/v1/children"


async def _children(app: FastAPI, tenant: TenantClient) -> list[uuid.UUID]:
    """Children whose bodies exercise every field: preterm, term, unknown gestation, a
    tombstone, JSON lists, optional fields set and unset."""
    today = datetime.now(UTC).date()
    rows = [
        await seed_child(
            app,
            tenant,
            birth_date=today - timedelta(days=200),
            gestational_age_weeks=29,
            gestational_age_days=3,
            diagnoses=[{"code": "Q90.9", "text": "Down syndrome"}],
            caregivers=[
                {
                    "name": "Sara",
                    "relationship": "mother",
                    "phone": "+15551234567",
                    "email": None,
                    "primary": True,
                    "consent_to_contact": True,
                }
            ],
            external_id=f"MRN-{uuid.uuid4().hex[:6]}",
            preferred_name="Mimi",
        ),
        await seed_child(app, tenant, birth_date=today - timedelta(days=900)),
        await seed_child(
            app, tenant, birth_date=date(2021, 5, 1), gestational_age_weeks=40, status="discharged"
        ),
        await seed_child(app, tenant, birth_date=today),
        await seed_child(
            app, tenant, birth_date=today - timedelta(days=30), gestational_age_weeks=35
        ),
    ]
    return [row.id for row in rows]


class TestGetChild:
    async def test_bodies_and_headers_equal_the_session_path(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "children:read")
        for child_id in await _children(app, tenant_a):
            direct, session = await both_paths(app, client, f"{URL}/{child_id}", headers)
            assert direct.status_code == session.status_code == 200
            assert direct.json() == session.json()
            assert direct.headers["etag"] == session.headers["etag"]
            assert direct.headers["content-type"] == session.headers["content-type"]

    async def test_other_clinics_and_deleted_children_are_404_onboth_paths(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        theirs = await seed_child(app, tenant_b)
        gone = await seed_child(app, tenant_a, deleted_at=datetime.now(UTC))
        headers = await headers_for(tenant_a, "children:read")
        for child_id in (theirs.id, gone.id, uuid.uuid4()):
            direct, session = await both_paths(app, client, f"{URL}/{child_id}", headers)
            assert direct.status_code == session.status_code == 404
            assert without_request_id(direct.json()) == without_request_id(session.json())
            assert "Mia" not in direct.text

    async def test_a_read_is_audited_in_its_statement(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        db_connection: AsyncConnection,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        child = await seed_child(app, tenant_a)
        headers = await headers_for(tenant_a, "children:read")
        request_id = f"req-{uuid.uuid4().hex}"
        response = await client.get(
            f"{URL}/{child.id}", headers={**headers, "X-Request-ID": request_id}
        )
        assert response.status_code == 200
        [row] = await audit_rows(db_connection, request_id, tenant_a.clinic_id)
        assert row.clinic_id == tenant_a.clinic_id
        assert row.client_id == str(tenant_a.client_id)
        assert row.token_jti
        assert (row.action, row.resource_type, row.outcome) == ("read", "child", 200)
        assert (row.resource_id, row.child_id) == (str(child.id), child.id)

    async def test_a_miss_is_audited_as_a_denial_only(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        db_connection: AsyncConnection,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        headers = await headers_for(tenant_a, "children:read")
        request_id = f"req-{uuid.uuid4().hex}"
        missing = uuid.uuid4()
        response = await client.get(
            f"{URL}/{missing}", headers={**headers, "X-Request-ID": request_id}
        )
        assert response.status_code == 404
        [row] = await audit_rows(db_connection, request_id, tenant_a.clinic_id)
        assert (row.action, row.outcome, row.child_id) == ("denied", 404, missing)

    async def test_a_disabled_client_is_refused_with_its_token_known(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        child = await seed_child(app, tenant_a)
        headers = await headers_for(tenant_a, "children:read")
        assert (await client.get(f"{URL}/{child.id}", headers=headers)).status_code == 200
        assert len(app.state.keyring.verified) == 1  # the token is remembered as verified
        await disable_client(app, tenant_a)
        for path in (f"{URL}/{child.id}", URL):
            response = await client.get(path, headers=headers)
            assert response.status_code == 401
            assert response.headers["content-type"] == "application/problem+json"

    async def test_scopes_are_checked_before_any_row_is_read(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        child = await seed_child(app, tenant_a)
        headers = await headers_for(tenant_a, "sessions:read")
        for path in (f"{URL}/{child.id}", URL):
            response = await client.get(path, headers=headers)
            assert response.status_code == 403
            assert "Mia" not in response.text


class TestListChildren:
    @pytest.mark.parametrize(
        "query",
        [
            "limit=2",
            "limit=2&sort=-updated_at",
            "limit=3&sort=created_at",
            "limit=1&sort=-created_at&status=active",
            "limit=2&birth_date_from=2021-01-01&birth_date_to=2030-01-01",
            "limit=2&updated_since=2000-01-01T00:00:00Z",
            "limit=2&updated_since=2000-01-01T00:00:00",  # naive: both paths must agree
            "limit=50&status=discharged",
            "limit=50&external_id=MRN-none",
        ],
    )
    async def test_every_page_equals_the_session_path(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
        query: str,
    ) -> None:
        await _children(app, tenant_a)
        await seed_child(app, tenant_a, deleted_at=datetime.now(UTC))
        await _children(app, tenant_b)
        headers = await headers_for(tenant_a, "children:read")
        path: str | None = f"{URL}?{query}"
        pages = 0
        while path is not None:
            direct, session = await both_paths(app, client, path, headers)
            assert direct.status_code == session.status_code == 200, direct.text
            assert direct.json()["data"] == session.json()["data"]
            for child in direct.json()["data"]:
                assert child["given_name"] == "Mia"
            # Cursors are sealed with a fresh nonce each time: equal in meaning, not in text.
            # Each path's cursor is followed in turn, so each reads the other's.
            cursors = (direct.json()["next_cursor"], session.json()["next_cursor"])
            assert (cursors[0] is None) == (cursors[1] is None)
            assert ("link" in direct.headers) == ("link" in session.headers)
            cursor = cursors[pages % 2]
            path = f"{URL}?{query}&cursor={cursor}" if cursor else None
            pages += 1
        assert pages >= 1

    async def test_a_list_is_audited_once(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        db_connection: AsyncConnection,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        await _children(app, tenant_a)
        headers = await headers_for(tenant_a, "children:read")
        request_id = f"req-{uuid.uuid4().hex}"
        response = await client.get(f"{URL}", headers={**headers, "X-Request-ID": request_id})
        assert response.status_code == 200
        [row] = await audit_rows(db_connection, request_id, tenant_a.clinic_id)
        assert (row.action, row.resource_type, row.resource_id, row.child_id) == (
            "list",
            "child",
            None,
            None,
        )


class TestPooledConnections:
    """The live pool keeps each connection's clinic binding between requests."""

    async def test_interleaved_clinics_on_one_connection_see_only_their_own(
        self, settings: Settings, live_app: FastAPI, live_client: httpx.AsyncClient
    ) -> None:
        own = DirectDb(PoolSource(settings.model_copy(update={"direct_pool_size": 1})))
        serve_with(live_app, own)
        try:
            tenants = [await make_tenant(live_app) for _ in range(3)]
            children = {t.clinic_id: (await seed_child(live_app, t)).id for t in tenants}
            headers = {t.clinic_id: bearer(await mint_token(live_app, t)) for t in tenants}
            for _ in range(3):
                for tenant in tenants:
                    mine = children[tenant.clinic_id]
                    page = await live_client.get(URL, headers=headers[tenant.clinic_id])
                    assert [c["id"] for c in page.json()["data"]] == [str(mine)]
                    for clinic_id, child_id in children.items():
                        response = await live_client.get(
                            f"{URL}/{child_id}", headers=headers[tenant.clinic_id]
                        )
                        assert response.status_code == (
                            200 if clinic_id == tenant.clinic_id else 404
                        )
            # Concurrent requests of different clinics queue for the one connection.
            responses = await asyncio.gather(
                *(
                    live_client.get(f"{URL}/{children[t.clinic_id]}", headers=headers[t.clinic_id])
                    for t in tenants * 4
                )
            )
            assert {r.status_code for r in responses} == {200}
        finally:
            serve_with(live_app, live_app.state.own_direct)
            await own.close()

    async def test_statements_are_planned_once_not_per_request(
        self,
        database: Database,
        settings: Settings,
        live_app: FastAPI,
        live_client: httpx.AsyncClient,
    ) -> None:
        # PostgreSQL re-plans a prepared statement whose generic plan looks worse than a custom
        # one; a LIMIT passed as a parameter did that once a clinic had thousands of children
        # (the generic plan guesses a tenth of the table): twice the server's time per list.
        own = DirectDb(PoolSource(settings.model_copy(update={"direct_pool_size": 1})))
        serve_with(live_app, own)
        tenant = await make_tenant(live_app)
        owner = await asyncpg.connect(asyncpg_url(database.owner_url))
        try:
            await owner.execute(_MANY_CHILDREN, tenant.clinic_id, 3000)
            await owner.execute("ANALYZE child")
            child = await seed_child(live_app, tenant)
            headers = bearer(await mint_token(live_app, tenant))
            paths = (f"{URL}?limit=50", f"{URL}?limit=2&status=active", f"{URL}/{child.id}")
            for _ in range(12):
                for path in paths:
                    assert (await live_client.get(path, headers=headers)).status_code == 200
            async with own.source.connection(_principal(tenant)) as conn:
                plans = await conn.fetch(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE 'WITH auth AS%FROM child%'"
                )
            # PostgreSQL tries custom plans for the first five executions, then keeps one.
            assert [(p["generic_plans"], p["custom_plans"]) for p in plans] == [(7, 5)] * 3
        finally:
            serve_with(live_app, live_app.state.own_direct)
            await own.close()
            await owner.execute("DELETE FROM child WHERE clinic_id = $1", tenant.clinic_id)
            await owner.execute("ANALYZE child")
            await owner.close()

    @pytest.mark.parametrize(("durable", "expected"), [(False, "off"), (True, "on")])
    async def test_read_audit_durability_is_a_setting(
        self, settings: Settings, live_app: FastAPI, durable: bool, expected: str
    ) -> None:
        source = PoolSource(settings.model_copy(update={"durable_read_audit": durable}))
        tenant = await make_tenant(live_app)
        try:
            principal_like = _principal(tenant)
            async with source.connection(principal_like) as conn:
                assert await conn.fetchval("SHOW synchronous_commit") == expected
                assert await conn.fetchval("SELECT current_setting('dmi.clinic_id')") == str(
                    tenant.clinic_id
                )
        finally:
            await source.close()


_MANY_CHILDREN = (
    "INSERT INTO child (id, clinic_id, version, created_at, updated_at, given_name, family_name,"
    " birth_date, sex, diagnoses, status, caregivers)"
    " SELECT gen_random_uuid(), $1, 1, now(), now() - n * interval '1 minute', 'Mia', 'Test',"
    " date '2024-01-01' + n % 700, 'female', '[]', 'active', '[]'"
    " FROM generate_series(1, $2::int) AS n"
)


def asyncpg_url(sqlalchemy_url: str) -> str:
    """The same URL for asyncpg itself."""
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def _principal(tenant: TenantClient) -> Principal:
    return Principal(
        client_id=tenant.client_id,
        clinic_id=tenant.clinic_id,
        scopes=frozenset(tenant.scopes),
        token_jti="test",
    )
