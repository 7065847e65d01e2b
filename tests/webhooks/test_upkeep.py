"""Dispatch under concurrency and pruning past the retention, on committed rows (PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from dmi_api.config import Settings
from dmi_api.models.columns import utcnow
from dmi_api.services import idempotency
from dmi_api.workers.attempts import WebhookWork
from tests.conftest import Database
from tests.webhooks.committed import Committed, Endpoint, work_for
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.postgres_only


async def _events(committed: Committed, endpoint: Endpoint, count: int, *, days_ago: int) -> None:
    """Committed events, readable by the next dispatch (every older transaction has ended)."""
    at = utcnow() - timedelta(days=days_ago)
    for _ in range(count):
        await committed.event(endpoint.clinic_id, occurred_at=at)
    await committed.settled()


async def _deliveries(committed: Committed, endpoint: Endpoint) -> int:
    [row] = await committed.sql(
        "SELECT count(*) AS n FROM webhook_delivery WHERE clinic_id = :c", c=endpoint.clinic_id
    )
    return int(row.n)


async def test_a_transaction_in_another_database_holds_the_dispatch_back(
    committed: Committed, work: WebhookWork, receiver: Receiver, database: Database
) -> None:
    """Transaction ids are the server's: the dispatcher does not read past one running in
    another database (README, "Change events"), and says to look again."""
    endpoint = await committed.endpoint(f"http://127.0.0.1:{receiver.port}/ok")
    elsewhere = make_url(database.owner_url).set(drivername="postgresql", database="postgres")
    other = await asyncpg.connect(elsewhere.render_as_string(hide_password=False))
    try:
        holding = other.transaction()
        await holding.start()
        await other.fetchval("SELECT pg_current_xact_id()")  # it writes: it has an id
        for _ in range(2):
            await committed.event(endpoint.clinic_id)
        assert await work.dispatch(endpoint.clinic_id)  # look again
        assert await _deliveries(committed, endpoint) == 0
        await holding.rollback()
    finally:
        await other.close()
    await committed.settled()
    await work.dispatch(endpoint.clinic_id)
    assert await _deliveries(committed, endpoint) == 2
    assert len(receiver.requests) == 2


async def test_two_dispatchers_of_a_clinic_make_and_attempt_each_delivery_once(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(f"http://127.0.0.1:{receiver.port}/ok")
    await _events(committed, endpoint, 60, days_ago=0)
    await asyncio.gather(*(work.dispatch(endpoint.clinic_id) for _ in range(3)))
    await work.dispatch(endpoint.clinic_id)  # whatever a skipped one left
    rows = await committed.sql(
        "SELECT count(*) AS n, count(DISTINCT event_id) AS events, max(attempts) AS most,"
        " count(*) FILTER (WHERE status = 'succeeded') AS done FROM webhook_delivery"
        " WHERE clinic_id = :c",
        c=endpoint.clinic_id,
    )
    assert (rows[0].n, rows[0].events, rows[0].most, rows[0].done) == (60, 60, 1, 60)
    # The dispatcher attempted each new delivery itself, once.
    ids = [seen.headers["webhook-id"] for seen in receiver.requests]
    assert len(ids) == len(set(ids)) == 60


async def test_a_dispatched_delivery_that_fails_is_retried_later_and_a_success_ends_the_streak(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(f"http://127.0.0.1:{receiver.port}/fail")
    await _events(committed, endpoint, 2, days_ago=0)
    before = utcnow()
    await work.dispatch(endpoint.clinic_id)
    failed = await committed.sql(
        "SELECT status, attempts, last_status_code, last_error_class, next_attempt_at"
        " FROM webhook_delivery WHERE clinic_id = :c",
        c=endpoint.clinic_id,
    )
    assert [(r.status, r.attempts, r.last_status_code, r.last_error_class) for r in failed] == [
        ("pending", 1, 500, "http_error")
    ] * 2
    assert all(r.next_attempt_at > before for r in failed)
    [streak] = await committed.sql(
        "SELECT failing_since FROM webhook_endpoint WHERE id = :e", e=endpoint.id
    )
    assert streak.failing_since is not None

    await committed.sql(
        "UPDATE webhook_endpoint SET url = :u WHERE id = :e",
        u=f"http://127.0.0.1:{receiver.port}/ok",
        e=endpoint.id,
    )
    await _events(committed, endpoint, 1, days_ago=0)
    await work.dispatch(endpoint.clinic_id)
    [streak] = await committed.sql(
        "SELECT failing_since FROM webhook_endpoint WHERE id = :e", e=endpoint.id
    )
    assert streak.failing_since is None


async def test_an_attempt_that_would_outlast_its_lease_is_left_for_the_next_claim(
    committed: Committed, settings: Settings, engine: AsyncEngine, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(f"http://127.0.0.1:{receiver.port}/slow")
    await _events(committed, endpoint, 2, days_ago=0)
    # One call at a time, 1 s each at most, a 1.5 s lease: the second call would not fit.
    work = replace(
        work_for(settings, engine, timeout_seconds=1.0),
        lease=timedelta(seconds=1.5),
        max_calls=1,
    )
    try:
        await work.dispatch(endpoint.clinic_id)
    finally:
        await work.client.aclose()
    rows = await committed.sql(
        "SELECT status, attempts, last_error_class, next_attempt_at <= now() AS due"
        " FROM webhook_delivery WHERE clinic_id = :c ORDER BY attempts",
        c=endpoint.clinic_id,
    )
    assert [(r.status, r.attempts, r.last_error_class, r.due) for r in rows] == [
        ("pending", 0, None, True),  # not begun: released, due again at once, uncounted
        ("pending", 1, "timeout", False),
    ]
    assert len(receiver.requests) == 1


async def test_an_endpoint_gets_only_what_happened_since_it_was_registered(
    committed: Committed, work: WebhookWork
) -> None:
    endpoint = await committed.endpoint("https://93.184.216.34/hook")
    await _events(committed, endpoint, 3, days_ago=2)  # before its registration
    await _events(committed, endpoint, 2, days_ago=0)
    await work.dispatch(endpoint.clinic_id)
    [row] = await committed.sql(
        "SELECT count(*) AS n FROM webhook_delivery WHERE clinic_id = :c", c=endpoint.clinic_id
    )
    assert row.n == 2


async def test_pruning_deletes_only_what_is_past_the_retention(
    committed: Committed, work: WebhookWork
) -> None:
    endpoint = await committed.endpoint("https://93.184.216.34/hook")
    await _events(committed, endpoint, 4, days_ago=31)
    await _events(committed, endpoint, 2, days_ago=29)
    old_done, old_pending = await committed.delivery(endpoint), await committed.delivery(endpoint)
    fresh_done = await committed.delivery(endpoint)
    long_ago = utcnow() - timedelta(days=31)
    await committed.sql(
        "UPDATE webhook_delivery SET status = 'succeeded', updated_at = :t WHERE id = :i",
        t=long_ago,
        i=old_done,
    )
    await committed.sql(
        "UPDATE webhook_delivery SET updated_at = :t WHERE id = :i", t=long_ago, i=old_pending
    )
    await committed.sql("UPDATE webhook_delivery SET status = 'failed' WHERE id = :i", i=fresh_done)
    assert await work.prune(30) >= 5
    [events] = await committed.sql(
        "SELECT count(*) AS n FROM change_event WHERE clinic_id = :c", c=endpoint.clinic_id
    )
    assert events.n == 2
    left = await committed.sql(
        "SELECT id FROM webhook_delivery WHERE clinic_id = :c", c=endpoint.clinic_id
    )
    assert {row.id for row in left} == {old_pending, fresh_done}


async def test_idempotency_keys_past_their_lifetime_are_pruned(
    committed: Committed, work: WebhookWork
) -> None:
    # Every keyed write keeps its answer (a record's body, PHI) with its key; "kept 24 h" must
    # not mean kept for ever, in a table that grows with every upload of every phone.
    clinic_id, client_id, now = await committed.clinic(), uuid.uuid4(), utcnow()
    for key, expires_at in (
        ("lapsed", now - timedelta(minutes=1)),
        ("live", now + timedelta(hours=1)),
    ):
        await committed.sql(
            "INSERT INTO idempotency_key (clinic_id, client_id, key, request_hash, status_code,"
            " response_body, response_headers, created_at, expires_at)"
            " VALUES (:c, :k, :key, 'h', 201, '{}', '{}', :t, :e)",
            c=clinic_id,
            k=client_id,
            key=key,
            t=expires_at - timedelta(hours=24),
            e=expires_at,
        )
    try:
        # As the daily upkeep does it: the app's role, bound to no clinic.
        async with work.sessionmaker() as db, db.begin():
            assert await idempotency.prune(db) >= 1
        left = await committed.sql(
            "SELECT key FROM idempotency_key WHERE clinic_id = :c", c=clinic_id
        )
        assert [row.key for row in left] == ["live"]
    finally:
        await committed.sql("DELETE FROM idempotency_key WHERE clinic_id = :c", c=clinic_id)
