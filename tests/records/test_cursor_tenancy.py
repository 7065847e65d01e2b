"""A cursor is bound to the clinic that was given it: another clinic's client replaying it gets
the 422 of a tampered cursor, on every kind of list (it would otherwise page its own rows from
a position of the other clinic's, which its own rows' order would tell it)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.clinics import Clinic
from tests.support.sessions import create
from tests.support.tenants import TenantClient, add_client

LISTS = [
    "/v1/children",
    "/v1/session-records",
    "/v1/audit-events",
    "/v1/clients",
    "/v1/exercises",
    "/v1/events",
    "/fhir/R4/Patient",
]


def cursor_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    if "next_cursor" in body:
        cursor: str = body["next_cursor"]
        return cursor
    [link] = [link["url"] for link in body["link"] if link["relation"] == "next"]
    return str(httpx.URL(link).params["_cursor"])


class TestForeignCursor:
    @pytest.mark.usefixtures("serving_path")
    @pytest.mark.parametrize("url", LISTS)
    async def test_another_clinics_cursor_is_422_on_every_list(
        self,
        url: str,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        other: Clinic,
        tenant_a: TenantClient,
    ) -> None:
        for _ in range(2):
            await create(client, clinic)
            await add_client(app, tenant_a)
        fhir = url.startswith("/fhir")
        count, at = ("_count", "_cursor") if fhir else ("limit", "cursor")
        first = await client.get(url, params={count: 1}, headers=clinic.headers)
        params: dict[str, str | int] = {count: 1, at: cursor_of(first)}
        own = await client.get(url, params=params, headers=clinic.headers)
        assert own.status_code == 200, own.text
        replayed = await client.get(url, params=params, headers=other.headers)
        assert replayed.status_code in (400, 422), (url, replayed.text)
