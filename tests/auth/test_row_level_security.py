"""PostgreSQL row-level security: the second wall under the tenant choke point."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tests.support.tenants import TenantClient

pytestmark = pytest.mark.postgres_only


async def _set_clinic(connection: AsyncConnection, value: str) -> None:
    await connection.execute(text("SELECT set_config('dmi.clinic_id', :v, true)"), {"v": value})


async def test_app_role_is_not_owner_nor_superuser(db_connection: AsyncConnection) -> None:
    row = (
        await db_connection.execute(
            text(
                "SELECT r.rolsuper, r.rolbypassrls, t.tableowner = current_user "
                "FROM pg_roles r, pg_tables t WHERE r.rolname = current_user "
                "AND t.tablename = 'api_client'"
            )
        )
    ).one()
    assert tuple(row) == (False, False, False)


async def test_without_a_clinic_no_rows_are_visible(
    db_connection: AsyncConnection, tenant_a: TenantClient, tenant_b: TenantClient
) -> None:
    await _set_clinic(db_connection, "")
    count = (await db_connection.execute(text("SELECT count(*) FROM api_client"))).scalar_one()
    assert count == 0


async def test_a_clinic_sees_only_its_rows_even_without_a_where(
    db_connection: AsyncConnection, tenant_a: TenantClient, tenant_b: TenantClient
) -> None:
    await _set_clinic(db_connection, str(tenant_a.clinic_id))
    clinics = (await db_connection.execute(text("SELECT DISTINCT clinic_id FROM api_client"))).all()
    assert [row[0] for row in clinics] == [tenant_a.clinic_id]


async def test_writing_into_another_clinic_is_refused(
    db_connection: AsyncConnection, tenant_a: TenantClient, tenant_b: TenantClient
) -> None:
    await _set_clinic(db_connection, str(tenant_a.clinic_id))
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db_connection.begin_nested():
            await db_connection.execute(
                text(
                    "INSERT INTO api_client (id, clinic_id, name, scopes, auth_method, active, "
                    "created_at, updated_at) VALUES (gen_random_uuid(), :c, 'x', 's', "
                    "'client_secret', true, now(), now())"
                ),
                {"c": tenant_b.clinic_id},
            )


async def test_the_setting_is_transaction_local(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        async with connection.begin():
            await _set_clinic(connection, "00000000-0000-4000-8000-000000000000")
        async with connection.begin():
            value = (
                await connection.execute(text("SELECT current_setting('dmi.clinic_id', true)"))
            ).scalar_one()
    # The next transaction on the same (pooled) connection starts with no clinic.
    assert value in (None, "")
