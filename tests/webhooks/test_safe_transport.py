"""Deliveries through the checked client against a real receiver on 127.0.0.1: the dial is
refused unless loopback is allowed, redirects are not followed, failures have their class and
nothing of the response body is kept."""

from __future__ import annotations

import dataclasses
import time

import pytest

from dmi_api.webhooks.outcome import DeliveryOutcome, post_json
from dmi_api.webhooks.safe_transport import delivery_client
from tests.support.ports import free_port
from tests.webhooks.receiver import RESPONSE_SECRET, Receiver

BODY = b'{"type": "session_record.created"}'


async def _deliver(
    url: str, *, allow_loopback: bool, timeout_seconds: float = 5.0
) -> DeliveryOutcome:
    async with delivery_client(
        allow_loopback=allow_loopback, timeout_seconds=timeout_seconds
    ) as client:
        return await post_json(client, url, BODY, {"X-Dmi-Signature": "sig"})


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "127.1", "[::ffff:127.0.0.1]"],
)
async def test_production_never_dials_loopback_even_past_registration(
    receiver: Receiver, host: str
) -> None:
    # The registration check is bypassed (the URL goes straight to the client), as DNS
    # rebinding would make it: the check at connection time still refuses the address.
    outcome = await _deliver(f"https://{host}:{receiver.port}/ok", allow_loopback=False)
    assert outcome.error_class == "address_refused"
    assert outcome.status_code is None
    assert receiver.connections == 0


async def test_production_never_sends_plain_http(receiver: Receiver) -> None:
    outcome = await _deliver(f"http://127.0.0.1:{receiver.port}/ok", allow_loopback=False)
    assert outcome.error_class == "scheme_refused"
    assert receiver.connections == 0


async def test_allowing_loopback_delivers_and_reports_status_and_latency(
    receiver: Receiver,
) -> None:
    outcome = await _deliver(f"http://localhost:{receiver.port}/ok", allow_loopback=True)
    assert outcome == DeliveryOutcome(200, outcome.latency_ms, None)
    assert outcome.delivered
    assert 0 < outcome.latency_ms < 5_000
    [seen] = receiver.requests
    assert (seen.path, seen.body) == ("/ok", BODY)
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["X-Dmi-Signature"] == "sig"
    # The address dialled was checked; the request still names the host.
    assert seen.headers["Host"] == f"localhost:{receiver.port}"


async def test_allowing_loopback_still_refuses_a_private_address() -> None:
    outcome = await _deliver("https://10.0.0.1/hook", allow_loopback=True, timeout_seconds=1.0)
    assert outcome.error_class == "address_refused"


async def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    outcome = await _deliver(f"http://127.0.0.1:{receiver.port}/redirect", allow_loopback=True)
    assert (outcome.status_code, outcome.error_class) == (302, "redirect_not_followed")
    assert receiver.paths() == ["/redirect"]  # the target received nothing


async def test_a_server_error_is_an_http_error(receiver: Receiver) -> None:
    outcome = await _deliver(f"http://127.0.0.1:{receiver.port}/fail", allow_loopback=True)
    assert (outcome.status_code, outcome.error_class) == (500, "http_error")


async def test_a_closed_port_is_a_refused_connection() -> None:
    outcome = await _deliver(f"http://127.0.0.1:{free_port()}/ok", allow_loopback=True)
    assert (outcome.status_code, outcome.error_class) == (None, "connection_refused")


@pytest.mark.parametrize("port", [65536, 99999])
async def test_a_port_past_the_last_is_refused_not_raised(port: int) -> None:
    # A row stored before registration checked the port: the dial (a socket's OverflowError)
    # must not escape the attempt and lose the outcomes of the calls made beside it.
    outcome = await _deliver(f"http://127.0.0.1:{port}/ok", allow_loopback=True)
    assert (outcome.status_code, outcome.error_class) == (None, "address_refused")


async def test_a_slow_receiver_times_out_within_the_total_timeout(receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.port}/slow"
    outcome = await _deliver(url, allow_loopback=True, timeout_seconds=0.3)
    assert (outcome.status_code, outcome.error_class) == (None, "timeout")
    assert 250 < outcome.latency_ms < 2_000


async def test_tls_to_a_plain_receiver_is_a_tls_error(receiver: Receiver) -> None:
    outcome = await _deliver(f"https://127.0.0.1:{receiver.port}/ok", allow_loopback=True)
    assert outcome.error_class == "tls_error"


async def test_an_unresolvable_name_is_a_dns_error() -> None:
    outcome = await _deliver("https://receiver.invalid/hook", allow_loopback=False)
    assert outcome.error_class == "dns_error"


async def test_the_response_body_is_neither_read_nor_kept(receiver: Receiver) -> None:
    # The receiver announces a 1 GiB body and holds the connection open after a first part:
    # an outcome that read the body would wait for the receiver, not return at once.
    started = time.perf_counter()
    outcome = await _deliver(f"http://127.0.0.1:{receiver.port}/endless", allow_loopback=True)
    assert time.perf_counter() - started < 2.0
    assert (outcome.status_code, outcome.error_class) == (200, None)
    assert [f.name for f in dataclasses.fields(outcome)] == [
        "status_code",
        "latency_ms",
        "error_class",
        "retry_after",  # a 429's or 503's header, read as a wait: never its body
    ]
    assert RESPONSE_SECRET.decode() not in repr(outcome)


async def test_proxies_from_the_environment_are_ignored(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would dial in the delivery's place, past the address check.
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{receiver.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    outcome = await _deliver("https://receiver.invalid/hook", allow_loopback=False)
    assert outcome.error_class == "dns_error"
    assert receiver.connections == 0
