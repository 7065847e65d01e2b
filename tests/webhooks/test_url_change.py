"""Changing an endpoint's URL resolves its new host: a slow resolver must not hold every
clinic's change feed back meanwhile (PostgreSQL: the feed reads only the events of
transactions older than the oldest one running on the server)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from ipaddress import ip_address

import httpx
import pytest
from fastapi import FastAPI

from dmi_api.config import Settings
from dmi_api.db import create_sessionmaker
from dmi_api.webhooks import url_policy
from dmi_api.webhooks.addresses import IPAddress
from tests.conftest import reset_app_state, shared_app
from tests.support.tenants import bearer, make_tenant, mint_token
from tests.webhooks.committed import SETTLE_SECONDS, Committed

pytestmark = pytest.mark.postgres_only

URL = "/v1/webhook-endpoints"
Resolver = Callable[..., Awaitable[list[IPAddress]]]


@pytest.fixture
async def live_client(
    settings: Settings, shared_apps: dict[str, FastAPI]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app on its own pool, committing for real, as it serves."""
    app = shared_app(shared_apps, "live", settings)
    reset_app_state(app, create_sessionmaker(app.state.engine))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield app, client


async def _visible(committed: Committed, clinic_id: object) -> bool:
    """Whether the clinic's events are past the feed's horizon (readable by the feed)."""
    [row] = await committed.sql(
        "SELECT count(*) AS n FROM change_event WHERE clinic_id = :c"
        " AND tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
        c=clinic_id,
    )
    return bool(row.n)


def if_match(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


def _slow_resolver(committed: Committed, other_clinic: uuid.UUID, seen: list[bool]) -> Resolver:
    """A resolver that takes its time (an attacker's name server may take all 5 s, on every
    request), noting whether another clinic's event committed meanwhile reached the feed."""

    async def resolve(host: str, port: int, *, timeout_seconds: float) -> list[IPAddress]:
        await committed.event(other_clinic)
        deadline = time.monotonic() + SETTLE_SECONDS
        while not (visible := await _visible(committed, other_clinic)):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        seen.append(visible)
        return [ip_address("93.184.216.34")]

    return resolve


@pytest.mark.parametrize("operation", ["create", "change"])
async def test_resolving_a_new_url_does_not_hold_the_feed_back(
    live_client: tuple[FastAPI, httpx.AsyncClient],
    committed: Committed,
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
) -> None:
    app, client = live_client
    tenant = await make_tenant(app)
    admin = bearer(await mint_token(app, tenant, scopes=["webhooks:admin"]))
    created = await client.post(
        URL, json={"url": "https://93.184.216.34/hook", "event_types": ["*"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    seen_while_resolving: list[bool] = []
    resolver = _slow_resolver(committed, await committed.clinic(), seen_while_resolving)
    monkeypatch.setattr(url_policy, "resolve", resolver)
    named = {"url": "https://hooks.example.com/in", "event_types": ["*"]}
    if operation == "create":
        answer = await client.post(URL, json=named, headers=admin)
    else:
        answer = await client.patch(
            f"{URL}/{endpoint['id']}", json={"url": named["url"]}, headers=if_match(admin, 1)
        )
    monkeypatch.undo()
    assert answer.status_code in (200, 201), answer.text
    assert answer.json()["url"] == named["url"]
    assert seen_while_resolving == [True]
    for made in {endpoint["id"], answer.json()["id"]}:
        read = await client.get(f"{URL}/{made}", headers=admin)
        deleted = await client.delete(
            f"{URL}/{made}", headers=if_match(admin, read.json()["version"])
        )
        assert deleted.status_code == 204
