"""The embedded SQLite default: `dmi-api serve` delivers webhooks itself, with the same dispatch,
delivery and signing code as the PostgreSQL workers; only the claiming (a poll) differs."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col
from standardwebhooks import Webhook

from dmi_api.change_rows import EVENT_TABLE
from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker, create_engine, create_sessionmaker
from dmi_api.models import Clinic, WebhookDelivery, WebhookEndpoint
from dmi_api.models.columns import utcnow
from dmi_api.services.webhook_upkeep import due_work
from dmi_api.webhooks.safe_transport import delivery_client
from dmi_api.webhooks.secrets import SecretBox, new_secret
from dmi_api.workers.attempts import WebhookWork, lease_for
from dmi_api.workers.embedded import run_embedded
from tests.support.migrated_sqlite import migrated_sqlite
from tests.webhooks.receiver import Receiver, hanging_clinic_holds_its_share


@dataclass
class Embedded:
    """A migrated SQLite database as `dmi-api serve` uses it, and its secrets' box."""

    engine: AsyncEngine
    sessionmaker: DbSessionMaker
    box: SecretBox


async def _embedded(tmp_path: Path) -> Embedded:
    url = await asyncio.to_thread(migrated_sqlite, tmp_path / "embedded.db")
    settings = Settings(database_url=SecretStr(url))
    engine = create_engine(settings)
    box = SecretBox(settings.secret_key.get_secret_value())
    return Embedded(engine, create_sessionmaker(engine), box)


async def _endpoint(
    embedded: Embedded, url: str, *, status: str = "active"
) -> tuple[uuid.UUID, uuid.UUID, str]:
    """A clinic and its endpoint for `child.*`: their ids and the signing secret."""
    clinic_id, endpoint_id, secret = uuid.uuid4(), uuid.uuid4(), new_secret()
    async with embedded.sessionmaker() as db, db.begin():
        db.add(Clinic(id=clinic_id, name="Embedded"))
        await db.flush()
        db.add(
            WebhookEndpoint(
                clinic_id=clinic_id,
                id=endpoint_id,
                url=url,
                event_types=["child.*"],
                status=status,
                secret=embedded.box.seal(secret, endpoint_id),
            )
        )
    return clinic_id, endpoint_id, secret


async def test_an_event_reaches_its_endpoint_signed(tmp_path: Path, receiver: Receiver) -> None:
    embedded = await _embedded(tmp_path)
    engine, sessionmaker, box = embedded.engine, embedded.sessionmaker, embedded.box
    clinic_id, _, secret = await _endpoint(embedded, f"http://127.0.0.1:{receiver.port}/ok")
    child_id = uuid.uuid4()
    async with sessionmaker() as db, db.begin():
        event = {
            "clinic_id": clinic_id,
            "id": uuid.uuid4(),
            "type": "child.updated",
            "resource_type": "child",
            "resource_id": child_id,
            "version": 2,
            "child_id": child_id,
            "changed_fields": ["given_name"],
        }
        await db.execute(insert(EVENT_TABLE), [event])
    client = delivery_client(allow_loopback=True)
    work = WebhookWork(sessionmaker, client, box)
    stop = asyncio.Event()
    task = asyncio.create_task(run_embedded(work, 30, stop))
    try:
        for _ in range(100):
            if receiver.requests:
                break
            await asyncio.sleep(0.05)
        [seen] = receiver.requests
        body = Webhook(secret).verify(seen.body, seen.headers)
        assert body["type"] == "child.updated"
        assert body["resource"]["id"] == str(child_id)
        assert body["changed_fields"] == ["given_name"]
        assert seen.headers["webhook-id"] == str(event["id"])
        # The outcome is recorded once the receiver has answered: a moment after it saw the call.
        for _ in range(100):
            async with sessionmaker() as db:
                [delivery] = (await db.execute(select(WebhookDelivery))).scalars().all()
            if delivery.status != "pending":
                break
            await asyncio.sleep(0.05)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "succeeded",
            1,
            200,
        )
    finally:
        stop.set()
        await task
        await client.aclose()
        await engine.dispose()


async def test_serve_prunes_what_is_past_the_retention(tmp_path: Path) -> None:
    embedded = await _embedded(tmp_path)
    engine, sessionmaker, box = embedded.engine, embedded.sessionmaker, embedded.box
    # Disabled: the poll dispatches nothing and attempts nothing; it only prunes.
    clinic_id, endpoint_id, _ = await _endpoint(
        embedded, "https://93.184.216.34/hook", status="disabled"
    )
    now = utcnow()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    events = {at: uuid.uuid4() for at in (old, recent)}
    deliveries = {
        (status, at): uuid.uuid4()
        for status in ("succeeded", "failed", "pending")
        for at in (old, recent)
    }
    async with sessionmaker() as db, db.begin():
        for at, event_id in events.items():
            await db.execute(
                insert(EVENT_TABLE),
                [
                    {
                        "clinic_id": clinic_id,
                        "id": event_id,
                        "type": "child.updated",
                        "occurred_at": at,
                        "resource_type": "child",
                        "resource_id": uuid.uuid4(),
                        "version": 2,
                        "changed_fields": [],
                    }
                ],
            )
        for (status, at), delivery_id in deliveries.items():
            db.add(
                WebhookDelivery(
                    clinic_id=clinic_id,
                    id=delivery_id,
                    endpoint_id=endpoint_id,
                    event_id=uuid.uuid4(),
                    event_type="child.updated",
                    payload={},
                    status=status,
                    next_attempt_at=now + timedelta(days=1) if status == "pending" else None,
                    created_at=at,
                    updated_at=at,
                )
            )
    client = delivery_client(allow_loopback=True)
    stop = asyncio.Event()
    task = asyncio.create_task(run_embedded(WebhookWork(sessionmaker, client, box), 30, stop))
    try:
        await asyncio.sleep(0.5)  # the first round prunes
    finally:
        stop.set()
        await task
        await client.aclose()
    async with sessionmaker() as db:
        left_events = set((await db.execute(select(EVENT_TABLE.c.id))).scalars())
        left = set((await db.execute(select(col(WebhookDelivery.id)))).scalars())
    await engine.dispose()
    assert left_events == {events[recent]}
    # Finished deliveries past the retention go; a pending one stays, however old.
    assert left == {
        deliveries[key]
        for key in (
            ("succeeded", recent),
            ("failed", recent),
            ("pending", old),
            ("pending", recent),
        )
    }


async def _child_event(embedded: Embedded, clinic_id: uuid.UUID) -> uuid.UUID:
    """A committed `child.updated` event of the clinic; its id."""
    [event_id] = await _child_events(embedded, clinic_id, 1)
    return event_id


async def _child_events(embedded: Embedded, clinic_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """`count` committed `child.updated` events of the clinic, in one transaction; their ids."""
    ids = [uuid.uuid4() for _ in range(count)]
    events = [
        {
            "clinic_id": clinic_id,
            "id": event_id,
            "type": "child.updated",
            "resource_type": "child",
            "resource_id": uuid.uuid4(),
            "version": 2,
            "changed_fields": [],
        }
        for event_id in ids
    ]
    async with embedded.sessionmaker() as db, db.begin():
        await db.execute(insert(EVENT_TABLE), events)
    return ids


async def _delivered(receiver: Receiver, count: int) -> list[str]:
    """The `webhook-id`s the receiver saw, once it has seen `count` requests (or 5 s passed)."""
    for _ in range(100):
        if len(receiver.requests) >= count:
            break
        await asyncio.sleep(0.05)
    return [seen.headers["webhook-id"] for seen in receiver.requests]


async def test_events_after_a_quiet_spell_pruned_whole_are_still_delivered(
    tmp_path: Path, receiver: Receiver
) -> None:
    # Retention 1 day and a weekend without changes: pruning empties the table. The events
    # after it must sort after every position already handed out (the dispatcher's, and the
    # cursors of the feed's readers), not start over from 1 behind them.
    embedded = await _embedded(tmp_path)
    client = delivery_client(allow_loopback=True)
    try:
        clinic_id, _, _ = await _endpoint(embedded, f"http://127.0.0.1:{receiver.port}/ok")
        work = WebhookWork(embedded.sessionmaker, client, embedded.box)
        before = [await _child_event(embedded, clinic_id) for _ in range(3)]
        stop = asyncio.Event()
        task = asyncio.create_task(run_embedded(work, 1, stop))
        try:  # delivered concurrently: in any order
            assert sorted(await _delivered(receiver, 3)) == sorted(map(str, before))
        finally:
            stop.set()
            await task
        async with embedded.sessionmaker() as db, db.begin():
            await db.execute(update(EVENT_TABLE).values(occurred_at=utcnow() - timedelta(days=2)))
        stop = asyncio.Event()
        # The server started again: its work anew (a stopped one claims nothing more).
        work = WebhookWork(embedded.sessionmaker, client, embedded.box)
        task = asyncio.create_task(run_embedded(work, 1, stop))
        try:
            await asyncio.sleep(0.5)  # the first round prunes
            after = await _child_event(embedded, clinic_id)
            assert (await _delivered(receiver, 4))[3:] == [str(after)]
        finally:
            stop.set()
            await task
    finally:
        await client.aclose()
        await embedded.engine.dispose()


async def _statuses(
    embedded: Embedded, clinic_id: uuid.UUID, within: float
) -> list[tuple[str, int]]:
    """The clinic's deliveries' (status, attempts), sorted, once none is pending (or `within`
    seconds passed)."""
    deadline = time.perf_counter() + within
    while True:
        async with embedded.sessionmaker() as db:
            rows = (
                await db.execute(
                    select(col(WebhookDelivery.status), col(WebhookDelivery.attempts)).where(
                        col(WebhookDelivery.clinic_id) == clinic_id
                    )
                )
            ).all()
        if all(row.status != "pending" for row in rows) or time.perf_counter() > deadline:
            return sorted((row.status, row.attempts) for row in rows)
        await asyncio.sleep(0.1)


async def test_a_hanging_clinic_does_not_delay_another_clinics_events(
    tmp_path: Path, receiver: Receiver
) -> None:
    """25 events of a clinic whose receiver hangs (more than the 20 connections), then 3 of
    another clinic: the other clinic's arrive at once while the first clinic's four calls hang
    (its share); its other 21 are made when their leases end, uncounted, and none is lost."""
    embedded = await _embedded(tmp_path)
    hanging, _, _ = await _endpoint(embedded, f"http://127.0.0.1:{receiver.port}/slow")
    healthy, _, _ = await _endpoint(embedded, f"http://127.0.0.1:{receiver.port}/ok")
    client = delivery_client(allow_loopback=True, timeout_seconds=5.0)
    work = WebhookWork(embedded.sessionmaker, client, embedded.box, lease=lease_for(5.0))
    stop = asyncio.Event()
    task = asyncio.create_task(run_embedded(work, 30, stop))
    try:
        hanging_events = await hanging_clinic_holds_its_share(
            receiver,
            lambda: _child_events(embedded, hanging, 25),
            lambda: _child_events(embedded, healthy, 3),
        )
        statuses = await _statuses(embedded, hanging, 40)
        others = await _statuses(embedded, healthy, 5)
    finally:
        receiver.release.set()
        stop.set()
        await task
        await client.aclose()
        await embedded.engine.dispose()
    assert statuses == [("succeeded", 1)] * 21 + [("succeeded", 2)] * 4
    assert others == [("succeeded", 1)] * 3
    delivered = {seen.headers["webhook-id"] for seen in receiver.requests}
    assert set(map(str, hanging_events)) <= delivered
    assert receiver.seen("/slow") == 29  # 4 timed out and made again, 21 made once


async def test_a_clinic_with_many_due_deliveries_does_not_crowd_out_the_others(
    tmp_path: Path,
) -> None:
    # A clinic's receiver down for a while: 150 of its deliveries due, older than another
    # clinic's one. The poll takes at most 100 at a time: the other clinic's is among them.
    embedded = await _embedded(tmp_path)
    crowded, crowded_endpoint, _ = await _endpoint(embedded, "https://93.184.216.34/hook")
    other, other_endpoint, _ = await _endpoint(embedded, "https://93.184.216.35/hook")
    now = utcnow()
    rows = [
        WebhookDelivery(
            clinic_id=clinic_id,
            endpoint_id=endpoint_id,
            event_id=uuid.uuid4(),
            event_type="child.updated",
            payload={},
            next_attempt_at=now - timedelta(minutes=minutes),
        )
        for clinic_id, endpoint_id, minutes in [
            *((crowded, crowded_endpoint, 10 + n) for n in range(150)),
            (other, other_endpoint, 1),
        ]
    ]
    try:
        async with embedded.sessionmaker() as db, db.begin():
            db.add_all(rows)
        async with embedded.sessionmaker() as db:
            _, due = await due_work(db, utcnow(), per_clinic=4)
    finally:
        await embedded.engine.dispose()
    assert [clinic for clinic, _ in due].count(crowded) == 4
    assert (other, rows[-1].id) in due
