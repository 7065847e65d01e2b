"""A feed consumer behind the retention window: the events after its cursor may have been
pruned, so its cursor answers 410 `cursor_expired` (resync), never a page that silently skips
them; a consumer that keeps polling keeps a fresh cursor."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dmi_api.models.columns import utcnow
from dmi_api.services import webhook_upkeep
from tests.conftest import BACKEND
from tests.support.clinics import Clinic

EVENTS = "/v1/events"
DAY = 86_400


def aged(app: FastAPI, clinic: Clinic, cursor: str, seconds: int) -> str:
    """The cursor as the server would have issued it `seconds` earlier (its position kept)."""
    codec = app.state.cursor_codec.for_clinic(clinic.tenant.clinic_id)
    context = (
        "change_event:EventFilter(type=None, child_id=None, resource_id=None, occurred_from=None)"
    )
    position = codec.decode(cursor, context=context)
    if len(position) == 3:
        position[2] -= seconds
    return str(codec.encode(position, context=context))


async def poll(client: httpx.AsyncClient, clinic: Clinic, cursor: str | None) -> httpx.Response:
    params = {} if cursor is None else {"cursor": cursor}
    return await client.get(EVENTS, params=params, headers=clinic.headers)


async def caught_up(client: httpx.AsyncClient, clinic: Clinic) -> str:
    cursor: str | None = None
    while True:
        body = (await poll(client, clinic, cursor)).json()
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return str(cursor)


async def child(client: httpx.AsyncClient, clinic: Clinic) -> dict[str, Any]:
    body = {"given_name": "Ada", "family_name": "Test", "birth_date": "2024-03-01", "sex": "female"}
    return await clinic.post(client, "/v1/children", **body)


async def prune(db_connection: AsyncConnection, before: Any) -> None:
    async with AsyncSession(bind=db_connection) as db:
        if BACKEND == "sqlite":
            await webhook_upkeep.prune_embedded(db, before)
        else:
            await webhook_upkeep.prune(db, before)


class TestBehindTheRetention:
    async def test_a_cursor_past_the_retention_is_gone_not_a_skip(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        clinic: Clinic,
        db_connection: AsyncConnection,
    ) -> None:
        cursor = await caught_up(client, clinic)
        first = await child(client, clinic)
        await asyncio.sleep(0.01)
        cut = utcnow()
        await asyncio.sleep(0.01)
        await child(client, clinic)
        # The retention passes: the first event is pruned, the consumer has not polled since.
        await prune(db_connection, cut)
        retention = app.state.settings.event_retention_days * DAY
        response = await poll(client, clinic, aged(app, clinic, cursor, retention))
        assert response.status_code == 410, (response.status_code, first["id"], response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "cursor_expired"
        assert "retention" in problem["detail"]

    async def test_a_consumer_that_keeps_polling_never_expires(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        cursor = await caught_up(client, clinic)
        retention = app.state.settings.event_retention_days * DAY
        # Polled a day inside the retention: still good, and the next cursor is fresh.
        response = await poll(client, clinic, aged(app, clinic, cursor, retention - DAY))
        assert response.status_code == 200, response.text
        fresh = response.json()["next_cursor"]
        created = await child(client, clinic)
        later = await poll(client, clinic, aged(app, clinic, fresh, DAY))
        assert later.status_code == 200, later.text
        assert [e["resource"]["id"] for e in later.json()["data"]] == [created["id"]]

    async def test_a_fresh_cursor_reads_on_after_a_prune(
        self, client: httpx.AsyncClient, clinic: Clinic, db_connection: AsyncConnection
    ) -> None:
        cursor = await caught_up(client, clinic)
        created = await child(client, clinic)
        await prune(db_connection, utcnow() - timedelta(days=30))
        response = await poll(client, clinic, cursor)
        assert response.status_code == 200, response.text
        assert [e["resource"]["id"] for e in response.json()["data"]] == [created["id"]]
