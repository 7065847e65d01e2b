"""Dispatch under concurrency and pruning past the retention, on committed rows (PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from dmi_api.models.columns import utcnow
from dmi_api.workers.attempts import WebhookWork
from tests.webhooks.committed import Committed, Endpoint

pytestmark = pytest.mark.postgres_only

EVENT = (
    "INSERT INTO change_event (clinic_id, id, tx, seq, type, occurred_at, resource_type,"
    " resource_id, version, child_id, changed_fields) VALUES (:c, :i,"
    " pg_current_xact_id()::text::bigint, nextval('change_event_seq'), 'child.updated', :at,"
    " 'child', :r, 2, NULL, CAST('[]' AS json))"
)


async def _events(committed: Committed, endpoint: Endpoint, count: int, *, days_ago: int) -> None:
    at = utcnow() - timedelta(days=days_ago)
    for _ in range(count):
        await committed.sql(EVENT, c=endpoint.clinic_id, i=uuid.uuid4(), at=at, r=uuid.uuid4())


async def test_two_dispatchers_of_a_clinic_make_each_delivery_once(
    committed: Committed, work: WebhookWork
) -> None:
    endpoint = await committed.endpoint("https://93.184.216.34/hook")
    await _events(committed, endpoint, 60, days_ago=0)
    await asyncio.gather(*(work.dispatch(endpoint.clinic_id) for _ in range(3)))
    await work.dispatch(endpoint.clinic_id)  # whatever a skipped one left
    rows = await committed.sql(
        "SELECT count(*) AS n, count(DISTINCT event_id) AS events FROM webhook_delivery"
        " WHERE clinic_id = :c",
        c=endpoint.clinic_id,
    )
    assert (rows[0].n, rows[0].events) == (60, 60)


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
