"""Retries against a real loopback proxy in front of the served app: 503 and 429 with
`Retry-After` (seconds and HTTP date), an answer lost after the app created the row, a
connection closed mid-request, a gateway's 502 or 504 (an HTML page), a token endpoint briefly
down; the POST's `Idempotency-Key` is the same on every attempt and one row is created."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from dmi_api_client import (
    ApiError,
    AsyncDmiClient,
    AuthenticationError,
    DmiClient,
    NotFoundError,
    RetryPolicy,
    ServiceUnavailableError,
    TooManyRequestsError,
    models,
)
from tests.support.proxy import Fault, Proxy
from tests.support.served import Served

CREATE_CHILD = "POST /v1/children"
FAST = RetryPolicy(attempts=4, backoff=0.05, max_backoff=0.2)


def _child(family: str) -> models.ChildCreate:
    return models.ChildCreate(
        given_name="Retry", family_name=family, birth_date="2024-05-01", sex="female"
    )


def _count(dmi: DmiClient, family: str) -> int:
    return sum(1 for _ in dmi.children.list(family_name=family))


def test_503_and_429_are_retried_after_retry_after_with_one_key(
    served: Served, proxy: Proxy, dmi: DmiClient
) -> None:
    family = f"R{uuid.uuid4().hex[:10]}"
    moment = (datetime.now(UTC) + timedelta(seconds=2.5)).replace(microsecond=0)
    later = format_datetime(moment, usegmt=True)
    proxy.plan(CREATE_CHILD, Fault(503, "1"), Fault(429, later))
    with DmiClient(proxy.url, served.secret, retry=FAST) as client:
        started = time.monotonic()
        child = client.children.create(_child(family))
        waited = time.monotonic() - started
    attempts = proxy.seen_at(CREATE_CHILD)
    assert len(attempts) == 3
    keys = {a.headers["idempotency-key"] for a in attempts}
    assert len(keys) == 1
    assert uuid.UUID(keys.pop())
    assert waited >= 1.0  # the first Retry-After
    assert datetime.now(UTC) >= moment  # the second: not before its date
    assert len(proxy.forwarded_at(CREATE_CHILD)) == 1
    assert _count(dmi, family) == 1
    assert child.family_name == family


def test_a_lost_answer_is_replayed_not_created_twice(
    served: Served, proxy: Proxy, dmi: DmiClient
) -> None:
    family = f"L{uuid.uuid4().hex[:10]}"
    # The app creates the child and its answer is lost (a 503 instead); the resend reaches
    # the app, whose answer is lost again (the connection closes); the third gets the replay.
    proxy.plan(CREATE_CHILD, Fault(503, "0", forward=True), Fault(drop=True))
    with DmiClient(proxy.url, served.secret, retry=FAST) as client:
        child = client.children.create(_child(family))
    attempts = proxy.seen_at(CREATE_CHILD)
    assert len(attempts) == 3
    assert len({a.headers["idempotency-key"] for a in attempts}) == 1
    assert len(proxy.forwarded_at(CREATE_CHILD)) == 3
    assert [c.id for c in dmi.children.list(family_name=family)] == [child.id]


def test_a_given_key_is_sent_and_replayed(dmi: DmiClient) -> None:
    family = f"K{uuid.uuid4().hex[:10]}"
    key = f"import-{family}"
    first = dmi.children.create(_child(family), idempotency_key=key)
    again = dmi.children.create(_child(family), idempotency_key=key)
    assert first.id == again.id
    assert _count(dmi, family) == 1


def test_an_unkeyed_post_is_not_resent_after_a_broken_connection(
    served: Served, proxy: Proxy
) -> None:
    # Registering a webhook endpoint takes no Idempotency-Key: a resend could register two.
    proxy.plan("POST /v1/webhook-endpoints", Fault(drop=True))
    body = {"url": "http://127.0.0.1:9/never", "event_types": ["child.created"]}
    with (
        DmiClient(proxy.url, served.secret, retry=FAST) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.webhook_endpoints.create(body)
    assert len(proxy.seen_at("POST /v1/webhook-endpoints")) == 1


def test_retries_give_up_with_the_last_problem(served: Served, proxy: Proxy) -> None:
    proxy.plan("POST /v1/children/search", *[Fault(503, "0")] * 4)
    client = DmiClient(proxy.url, served.secret, retry=FAST)
    with client, pytest.raises(ServiceUnavailableError) as raised:
        client.children.page()
    assert raised.value.status == 503
    assert raised.value.code == "proxy_fault"
    assert len(proxy.seen_at("POST /v1/children/search")) == 4


def test_a_retry_after_longer_than_the_client_waits_fails_at_once(
    served: Served, proxy: Proxy
) -> None:
    proxy.plan("POST /v1/children/search", Fault(429, "3600"))
    client = DmiClient(proxy.url, served.secret, retry=FAST)
    with client, pytest.raises(TooManyRequestsError, match="429"):
        client.children.page()
    assert len(proxy.seen_at("POST /v1/children/search")) == 1


async def test_async_retries_with_one_key(served: Served, proxy: Proxy, dmi: DmiClient) -> None:
    family = f"A{uuid.uuid4().hex[:10]}"
    proxy.plan(CREATE_CHILD, Fault(503, "1"), Fault(503, None, forward=True))
    async with AsyncDmiClient(proxy.url, served.secret, retry=FAST) as client:
        child = await client.children.create(_child(family))
    attempts = proxy.seen_at(CREATE_CHILD)
    assert len(attempts) == 3
    assert len({a.headers["idempotency-key"] for a in attempts}) == 1
    assert [c.id for c in dmi.children.list(family_name=family)] == [child.id]


BAD_GATEWAY = "<html><body><h1>502 Bad Gateway</h1>upstream: 10.0.0.7:8000</body></html>"


def test_a_gateways_502_and_504_are_retried_for_a_request_safe_to_resend(
    served: Served, proxy: Proxy, dmi: DmiClient
) -> None:
    # A load balancer's 502 or 504 (the app unreachable, or slow): the request may or may not
    # have reached the app, as after a broken connection.
    family = f"G{uuid.uuid4().hex[:10]}"
    proxy.plan("POST /v1/children/search", Fault(502, html=BAD_GATEWAY), Fault(504))
    proxy.plan(CREATE_CHILD, Fault(502, forward=True, html=BAD_GATEWAY))
    with DmiClient(proxy.url, served.secret, retry=FAST) as client:
        client.children.page(limit=1)
        child = client.children.create(_child(family))
    assert len(proxy.seen_at("POST /v1/children/search")) == 3
    assert len(proxy.seen_at(CREATE_CHILD)) == 2  # the same key: replayed, one row
    assert [c.id for c in dmi.children.list(family_name=family)] == [child.id]


def test_a_gateways_502_to_an_unkeyed_post_is_not_resent(served: Served, proxy: Proxy) -> None:
    proxy.plan("POST /v1/webhook-endpoints", Fault(502, html=BAD_GATEWAY))
    body = {"url": "http://127.0.0.1:9/never", "event_types": ["child.created"]}
    with (
        DmiClient(proxy.url, served.secret, retry=FAST) as client,
        pytest.raises(ApiError) as raised,
    ):
        client.webhook_endpoints.create(body)
    assert len(proxy.seen_at("POST /v1/webhook-endpoints")) == 1
    assert str(raised.value) == "502 Bad Gateway"  # the page's text is not the message


def test_a_token_endpoint_briefly_down_is_waited_for_not_taken_for_a_refusal(
    served: Served, proxy: Proxy
) -> None:
    proxy.plan("POST /oauth/token", Fault(503, "0"), Fault(502, html=BAD_GATEWAY), Fault(504))
    with DmiClient(proxy.url, served.secret, retry=FAST) as client:
        client.children.page(limit=1)
    assert len(proxy.seen_at("POST /oauth/token")) == 4
    # Down for longer than the client waits: the gateway's status, not "credentials refused".
    proxy.plan("POST /oauth/token", *[Fault(502, html=BAD_GATEWAY)] * FAST.attempts)
    with (
        DmiClient(proxy.url, served.secret, retry=FAST) as client,
        pytest.raises(ApiError) as raised,
    ):
        client.children.page(limit=1)
    assert raised.value.status == 502
    assert not isinstance(raised.value, AuthenticationError)


async def test_async_a_token_endpoint_and_a_gateway_briefly_down(
    served: Served, proxy: Proxy
) -> None:
    proxy.plan("POST /oauth/token", Fault(502, html=BAD_GATEWAY))
    proxy.plan("POST /v1/children/search", Fault(504))
    async with AsyncDmiClient(proxy.url, served.secret, retry=FAST) as client:
        await client.children.page(limit=1)
    assert len(proxy.seen_at("POST /oauth/token")) == 2
    assert len(proxy.seen_at("POST /v1/children/search")) == 2


def test_a_change_whose_answer_was_lost_is_replayed_not_refused(
    served: Served, proxy: Proxy, dmi: DmiClient
) -> None:
    # A PATCH and a DELETE reach the app and their answers are lost (the connection closes):
    # the resends name the version the first attempts changed, so without the first answer
    # replayed they were a 412 and a 404 for changes that were made.
    child = dmi.children.create(_child(f"C{uuid.uuid4().hex[:10]}"))
    patch, delete = f"PATCH /v1/children/{child.id}", f"DELETE /v1/children/{child.id}"
    proxy.plan(patch, Fault(drop=True))
    proxy.plan(delete, Fault(drop=True))
    with DmiClient(proxy.url, served.secret, retry=FAST) as client:
        changed = client.children.update(child.id, {"status": "on_hold"}, if_match=1)
        assert (changed.version, changed.status) == (2, "on_hold")
        assert [v.version for v in dmi.children.versions(child.id)] == [1, 2]
        client.children.delete(child.id, if_match=changed.version)
    for route in (patch, delete):
        attempts = proxy.seen_at(route)
        assert len(attempts) == len(proxy.forwarded_at(route)) == 2
        assert len({a.headers["idempotency-key"] for a in attempts}) == 1
    with pytest.raises(NotFoundError):
        dmi.children.get(child.id)
