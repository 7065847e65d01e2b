"""Delivery attempts against a real receiver on 127.0.0.1, on committed rows (PostgreSQL):
signatures verified with the `standardwebhooks` library, retries, give-up, disabling, races."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from dmi_api.config import Settings
from dmi_api.db import create_sessionmaker
from dmi_api.models.columns import utcnow
from dmi_api.webhooks.backoff import MAX_ATTEMPTS
from dmi_api.webhooks.safe_transport import delivery_client
from dmi_api.webhooks.secrets import new_secret
from dmi_api.workers.attempts import WebhookWork
from tests.support.service_logs import service_logs
from tests.webhooks.committed import Committed, work_for
from tests.webhooks.receiver import UNHURRIED_SECONDS, Receiver, Seen

pytestmark = pytest.mark.postgres_only


def _url(receiver: Receiver, path: str = "/ok") -> str:
    return f"http://127.0.0.1:{receiver.port}{path}"


async def test_a_delivery_is_signed_with_both_secrets_during_a_rotation(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(_url(receiver), rotating=True)
    delivery_id = await committed.delivery(endpoint)

    assert await work.deliver(endpoint.clinic_id, delivery_id) == "succeeded"

    [seen] = receiver.requests
    assert endpoint.previous_secret is not None
    for secret in (endpoint.secret, endpoint.previous_secret):
        body = Webhook(secret).verify(seen.body, seen.headers)
        assert body["type"] == "ping"
    assert len(seen.headers["webhook-signature"].split(" ")) == 2
    assert seen.headers["Content-Type"] == "application/json"
    # One Content-Type field (RFC 9110: a singleton; a receiver's proxy may refuse two).
    sent = [value for name, value in seen.fields if name.lower() == "content-type"]
    assert sent == ["application/json"]
    row = await committed.delivery_row(delivery_id)
    assert seen.headers["webhook-id"] == str(row.event_id)
    assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 1, 200)
    assert row.next_attempt_at is None


def _verified_by_hand(seen: Seen, secret: str) -> bool:
    """The Standard Webhooks check, written from the specification (not with the library the
    code signs with): base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret's bytes
    (base64 after `whsec_`), one of the space-separated `v1,<signature>`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = b".".join(
        [seen.headers["webhook-id"].encode(), seen.headers["webhook-timestamp"].encode(), seen.body]
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.split(",", 1) for part in seen.headers["webhook-signature"].split(" ")]
    return any(version == "v1" and hmac.compare_digest(value, expected) for version, value in given)


async def test_every_attempt_is_signed_afresh_over_the_bytes_sent_with_a_stable_id(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(_url(receiver, "/fail"), rotating=True)
    delivery_id = await committed.delivery(endpoint)
    assert await work.deliver(endpoint.clinic_id, delivery_id) == "pending"
    await asyncio.sleep(1.1)  # the next attempt's timestamp is a later second
    await committed.sql(
        "UPDATE webhook_delivery SET next_attempt_at = now() WHERE id = :i", i=delivery_id
    )
    assert await work.deliver(endpoint.clinic_id, delivery_id) == "pending"

    first, second = receiver.requests
    assert endpoint.previous_secret is not None
    for seen in (first, second):
        # Both secrets verify during the rotation's overlap, and another secret does not.
        assert _verified_by_hand(seen, endpoint.secret)
        assert _verified_by_hand(seen, endpoint.previous_secret)
        assert not _verified_by_hand(seen, new_secret())
        # Fresh enough for a receiver's five-minute tolerance.
        assert abs(time.time() - int(seen.headers["webhook-timestamp"])) < 60
        assert int(seen.headers["Content-Length"]) == len(seen.body)
    # The receiver drops the retry as a duplicate by its id; its signature is its own.
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert first.headers["webhook-timestamp"] < second.headers["webhook-timestamp"]
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]


async def test_outside_a_rotation_only_the_current_secret_signs(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(_url(receiver))
    await work.deliver(endpoint.clinic_id, await committed.delivery(endpoint))
    [seen] = receiver.requests
    assert Webhook(endpoint.secret).verify(seen.body, seen.headers)["type"] == "ping"
    assert len(seen.headers["webhook-signature"].split(" ")) == 1


@pytest.mark.parametrize(
    ("path", "error_class", "status_code"),
    [("/fail", "http_error", 500), ("/redirect", "redirect_not_followed", 302)],
)
async def test_a_failed_attempt_is_retried_after_a_backoff(
    committed: Committed,
    work: WebhookWork,
    receiver: Receiver,
    path: str,
    error_class: str,
    status_code: int,
) -> None:
    endpoint = await committed.endpoint(_url(receiver, path))
    delivery_id = await committed.delivery(endpoint)
    before = utcnow()

    assert await work.deliver(endpoint.clinic_id, delivery_id) == "pending"

    row = await committed.delivery_row(delivery_id)
    assert (row.attempts, row.last_status_code, row.last_error_class) == (
        1,
        status_code,
        error_class,
    )
    assert timedelta(seconds=3.9) <= row.next_attempt_at - before <= timedelta(seconds=7)
    assert receiver.paths() == [path]  # a redirect is not followed
    # Not due yet: a second worker does not attempt it.
    assert await work.deliver(endpoint.clinic_id, delivery_id) is None
    assert len(receiver.requests) == 1


async def test_a_refused_connection_is_retried(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    closed = f"http://127.0.0.1:{receiver.port}/ok"
    receiver_port = receiver.port
    endpoint = await committed.endpoint(closed.replace(str(receiver_port), "1"))
    delivery_id = await committed.delivery(endpoint)
    assert await work.deliver(endpoint.clinic_id, delivery_id) == "pending"
    row = await committed.delivery_row(delivery_id)
    assert (row.attempts, row.last_status_code, row.last_error_class) == (
        1,
        None,
        "connection_refused",
    )


async def test_a_slow_receiver_times_out_and_is_retried(
    committed: Committed, settings: Settings, engine: AsyncEngine, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(_url(receiver, "/slow"))
    delivery_id = await committed.delivery(endpoint)
    work = work_for(settings, engine, timeout_seconds=0.5)
    try:
        assert await work.deliver(endpoint.clinic_id, delivery_id) == "pending"
    finally:
        await work.client.aclose()
    row = await committed.delivery_row(delivery_id)
    assert (row.attempts, row.last_error_class) == (1, "timeout")
    assert row.last_latency_ms < 2000


async def test_the_last_attempt_failing_fails_the_delivery(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(_url(receiver, "/fail"))
    delivery_id = await committed.delivery(endpoint, attempts=MAX_ATTEMPTS - 1)
    assert await work.deliver(endpoint.clinic_id, delivery_id) == "failed"
    row = await committed.delivery_row(delivery_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)


async def test_five_days_of_failures_disable_the_endpoint(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(
        _url(receiver, "/fail"), failing_since=utcnow() - timedelta(days=5, minutes=1)
    )
    await work.deliver(endpoint.clinic_id, await committed.delivery(endpoint))
    [row] = await committed.sql(
        "SELECT status, disabled_reason, version FROM webhook_endpoint WHERE id = :i",
        i=endpoint.id,
    )
    assert tuple(row) == ("disabled", "failing", 2)
    [event] = await committed.sql(
        "SELECT type, resource_type, resource_id, version FROM change_event WHERE clinic_id = :c",
        c=endpoint.clinic_id,
    )
    assert tuple(event) == ("webhook_endpoint.disabled", "webhook_endpoint", endpoint.id, 2)


async def test_a_410_gone_disables_the_endpoint_at_once(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    # Standard Webhooks: 410 Gone says the receiver wants no more; the sender disables it.
    endpoint = await committed.endpoint(_url(receiver, "/status/410"))
    gone = await committed.delivery(endpoint, event_type="child.updated")
    next_one = await committed.delivery(endpoint, event_type="child.updated")

    assert await work.deliver(endpoint.clinic_id, gone) == "failed"

    row = await committed.delivery_row(gone)
    assert (row.status, row.attempts, row.last_status_code, row.next_attempt_at) == (
        "failed",
        1,
        410,
        None,
    )
    [disabled] = await committed.sql(
        "SELECT status, disabled_reason, version FROM webhook_endpoint WHERE id = :i",
        i=endpoint.id,
    )
    assert tuple(disabled) == ("disabled", "gone", 2)
    [event] = await committed.sql(
        "SELECT type, resource_id, version FROM change_event WHERE clinic_id = :c",
        c=endpoint.clinic_id,
    )
    assert tuple(event) == ("webhook_endpoint.disabled", endpoint.id, 2)
    # Nothing more is sent to it.
    assert await work.deliver(endpoint.clinic_id, next_one) is None
    row = await committed.delivery_row(next_one)
    assert (row.status, row.attempts, row.last_error_class) == ("failed", 0, "endpoint_disabled")
    assert len(receiver.requests) == 1


async def test_four_days_of_failures_keep_it_and_a_success_clears_them(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(
        _url(receiver, "/fail"), failing_since=utcnow() - timedelta(days=4)
    )
    await work.deliver(endpoint.clinic_id, await committed.delivery(endpoint))
    await committed.sql(
        "UPDATE webhook_endpoint SET url = :u WHERE id = :i", u=_url(receiver), i=endpoint.id
    )
    await work.deliver(endpoint.clinic_id, await committed.delivery(endpoint))
    [row] = await committed.sql(
        "SELECT status, failing_since FROM webhook_endpoint WHERE id = :i", i=endpoint.id
    )
    assert tuple(row) == ("active", None)


async def test_a_disabled_endpoint_gets_its_test_ping_and_nothing_else(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    # `POST .../test` promises a ping "also to a disabled endpoint": how a clinic checks that
    # its repaired receiver answers before it re-enables the endpoint.
    endpoint = await committed.endpoint(_url(receiver))
    await committed.sql(
        "UPDATE webhook_endpoint SET status = 'disabled', disabled_reason = 'failing'"
        " WHERE id = :i",
        i=endpoint.id,
    )
    event = await committed.delivery(endpoint, event_type="child.updated")
    ping = await committed.delivery(endpoint)

    assert await work.deliver(endpoint.clinic_id, event) is None
    assert await work.deliver(endpoint.clinic_id, ping) == "succeeded"

    [seen] = receiver.requests
    assert Webhook(endpoint.secret).verify(seen.body, seen.headers)["type"] == "ping"
    row = await committed.delivery_row(event)
    assert (row.status, row.attempts, row.last_error_class) == ("failed", 0, "endpoint_disabled")


async def test_a_wait_for_a_connection_behind_another_clinic_is_not_the_receivers_failure(
    committed: Committed, settings: Settings, engine: AsyncEngine, receiver: Receiver
) -> None:
    # Another clinic's hanging receiver holds every connection of this worker: the delivery
    # to a healthy receiver waits for one, and then has its whole timeout for the receiver.
    hanging = await committed.endpoint(_url(receiver, "/slow"))
    healthy = await committed.endpoint(_url(receiver, "/unhurried"))
    client = delivery_client(allow_loopback=True, timeout_seconds=1.0, max_connections=2)
    work = WebhookWork.for_settings(settings, create_sessionmaker(engine), client)
    try:
        stuck = [
            asyncio.create_task(work.deliver(hanging.clinic_id, await committed.delivery(hanging)))
            for _ in range(2)
        ]
        await asyncio.sleep(0.3)
        delivery_id = await committed.delivery(healthy)
        assert await work.deliver(healthy.clinic_id, delivery_id) == "succeeded"
        await asyncio.gather(*stuck)
    finally:
        await client.aclose()
    row = await committed.delivery_row(delivery_id)
    assert (row.attempts, row.last_status_code, row.last_error_class) == (1, 200, None)
    # The receiver's own time, not the wait for a connection.
    assert UNHURRIED_SECONDS * 1000 <= row.last_latency_ms < UNHURRIED_SECONDS * 1000 + 500


async def test_two_workers_racing_deliver_once(
    committed: Committed, settings: Settings, engine: AsyncEngine, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(_url(receiver, "/slow"))
    delivery_id = await committed.delivery(endpoint)
    first, second = work_for(settings, engine), work_for(settings, engine)
    try:
        racing = [
            asyncio.create_task(w.deliver(endpoint.clinic_id, delivery_id)) for w in (first, second)
        ]
        await asyncio.sleep(0.5)
        receiver.release.set()
        outcomes = await asyncio.gather(*racing)
    finally:
        await first.client.aclose()
        await second.client.aclose()
    assert sorted(outcomes, key=str) == [None, "succeeded"]
    assert len(receiver.requests) == 1


async def test_another_clinic_cannot_claim_a_delivery(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    endpoint = await committed.endpoint(_url(receiver))
    delivery_id = await committed.delivery(endpoint)
    assert await work.deliver(uuid.uuid4(), delivery_id) is None
    assert receiver.requests == []


async def test_the_logs_never_hold_a_receivers_url(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    """A webhook URL is often a credential (a secret path, a token in its query): httpx logged
    each call's full URL at INFO, the default level of `dmi-api worker`'s logs."""
    path = "/hooks/T0/B0/s3cr3t-path?token=s3cr3t-query"
    endpoint = await committed.endpoint(_url(receiver, path))
    for level in ("INFO", "DEBUG"):
        delivery_id = await committed.delivery(endpoint)
        with service_logs(level) as lines:
            assert await work.deliver(endpoint.clinic_id, delivery_id) == "succeeded"
        assert not [line for line in lines if "s3cr3t" in json.dumps(line)]
    assert receiver.paths() == [path, path]
