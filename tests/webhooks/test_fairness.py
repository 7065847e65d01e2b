"""One clinic's hanging receiver does not delay another clinic's deliveries (PostgreSQL: the
delivery work and `dmi-api worker` end to end, on a real receiver): a worker makes at most
`DMI_WEBHOOK_CLINIC_CALLS` calls of one clinic at once, the clinic's others wait their turn
unclaimed (or, the dispatcher's, are made when their lease ends, uncounted), and none is lost.
The embedded path's twin is in `test_embedded.py`."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dmi_api.config import Settings
from dmi_api.db import create_sessionmaker
from dmi_api.webhooks.safe_transport import delivery_client
from dmi_api.workers.attempts import WebhookWork
from dmi_api.workers.queue import run_worker
from tests.webhooks.committed import Committed
from tests.webhooks.receiver import Receiver, hanging_clinic_holds_its_share, until

pytestmark = pytest.mark.postgres_only


def _url(receiver: Receiver, path: str) -> str:
    return f"http://127.0.0.1:{receiver.port}{path}"


async def test_a_clinic_at_its_limit_waits_its_turn_while_another_goes_at_once(
    committed: Committed, settings: Settings, engine: AsyncEngine, receiver: Receiver
) -> None:
    hanging = await committed.endpoint(_url(receiver, "/slow"))
    healthy = await committed.endpoint(_url(receiver, "/ok"))
    own = settings.model_copy(update={"webhook_clinic_calls": 2})
    client = delivery_client(allow_loopback=True)
    work = WebhookWork.for_settings(own, create_sessionmaker(engine), client)
    waiting = [await committed.delivery(hanging) for _ in range(3)]
    try:
        calls = [asyncio.create_task(work.deliver(hanging.clinic_id, d)) for d in waiting]
        await until(lambda: receiver.seen("/slow") >= 2, 5)
        await asyncio.sleep(0.3)
        assert receiver.seen("/slow") == 2  # its limit: the third waits its turn
        rows = await committed.sql(
            "SELECT attempts, next_attempt_at <= now() AS due FROM webhook_delivery"
            " WHERE id = ANY(:i)",
            i=waiting,
        )
        # Two claimed (leased into the future); the third untouched: unclaimed, still due.
        assert sorted((row.attempts, row.due) for row in rows) == [
            (0, False),
            (0, False),
            (0, True),
        ]

        started = time.perf_counter()
        delivery_id = await committed.delivery(healthy)
        assert await work.deliver(healthy.clinic_id, delivery_id) == "succeeded"
        assert time.perf_counter() - started < 1.0

        receiver.release.set()
        assert await asyncio.gather(*calls) == ["succeeded"] * 3
    finally:
        receiver.release.set()
        await client.aclose()
    rows = await committed.sql(
        "SELECT status, attempts FROM webhook_delivery WHERE id = ANY(:i)", i=waiting
    )
    assert [(row.status, row.attempts) for row in rows] == [("succeeded", 1)] * 3
    assert receiver.seen("/slow") == 3


async def _final(
    committed: Committed, clinic_id: uuid.UUID, count: int, within: float
) -> list[Any]:
    """The clinic's deliveries once `count` of them are no longer pending."""
    deadline = time.perf_counter() + within
    while True:
        rows = await committed.sql(
            "SELECT event_id, status, attempts FROM webhook_delivery WHERE clinic_id = :c",
            c=clinic_id,
        )
        done = [row for row in rows if row.status != "pending"]
        if len(done) >= count or time.perf_counter() > deadline:
            return rows
        await asyncio.sleep(0.1)


async def test_a_hanging_clinic_holds_its_share_of_a_worker_and_loses_nothing(
    committed: Committed, settings: Settings, receiver: Receiver
) -> None:
    """25 events of a clinic whose receiver hangs (more than the worker's 20 connections),
    then 3 of another clinic: the other clinic's deliveries arrive at once while the first
    clinic's four calls hang. Those four time out (attempts counted); its other 21 could not
    begin within their lease and are made when it ends, uncounted; every one is delivered."""
    own = settings.model_copy(
        update={"webhook_allow_loopback": True, "webhook_timeout_seconds": 5.0}
    )
    hanging = await committed.endpoint(_url(receiver, "/slow"))
    healthy = await committed.endpoint(_url(receiver, "/ok"))
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(own, concurrency=4, stop=stop))
    try:
        await asyncio.sleep(1.0)  # listening
        await hanging_clinic_holds_its_share(
            receiver,
            lambda: committed.events(hanging.clinic_id, 25),
            lambda: committed.events(healthy.clinic_id, 3),
        )
        rows = await _final(committed, hanging.clinic_id, 25, 40)
    finally:
        receiver.release.set()
        stop.set()
        await asyncio.wait_for(worker, 30)
    assert sorted((row.status, row.attempts) for row in rows) == (
        [("succeeded", 1)] * 21 + [("succeeded", 2)] * 4
    )
    delivered = {seen.headers["webhook-id"] for seen in receiver.requests}
    assert {str(row.event_id) for row in rows} <= delivered
    assert receiver.seen("/slow") == 29  # 4 timed out and made again, 21 made once
    healthy_rows = await _final(committed, healthy.clinic_id, 3, 5)
    assert [(row.status, row.attempts) for row in healthy_rows] == [("succeeded", 1)] * 3
