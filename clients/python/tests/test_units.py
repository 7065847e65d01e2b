"""The pure parts, on their own: `Retry-After`, backoff, ETags, URLs, webhook signatures (the
same scheme as the `standardwebhooks` library the server signs with)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks import Webhook

from dmi_api_client import RetryPolicy, verify_webhook
from dmi_api_client.flow import path_on_base
from dmi_api_client.requests import encode_params, quote_etag
from dmi_api_client.retry import parse_retry_after


def test_retry_after_in_seconds_and_as_a_date() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now=now) == 7.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now)
        == 30.0
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    )
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    policy = RetryPolicy(attempts=10, backoff=1.0, max_backoff=8.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delay = policy.backoff_delay(attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert policy.after_status(1, 503, {"retry-after": "3"}) == pytest.approx(3.0, abs=0.31)
    assert policy.after_status(1, 500, {}) is None
    assert policy.after_status(1, 502, {}) is None  # maybe applied: not resent blindly
    assert policy.after_status(1, 504, {"retry-after": "2"}, retry_safe=True) == pytest.approx(
        2.0, abs=0.21
    )
    assert policy.after_status(10, 503, {}) is None  # out of attempts
    assert policy.after_status(1, 429, {"retry-after": "600"}) is None  # longer than it waits


def test_etags_params_and_urls() -> None:
    assert quote_etag(3) == '"3"' == quote_etag('"3"') == quote_etag("3")
    assert quote_etag("*") == "*"
    with pytest.raises(ValueError, match="strong"):
        quote_etag('W/"3"')
    when = datetime(2026, 1, 1, tzinfo=UTC)
    assert encode_params({"updated_since": when, "from_": "x", "limit": None, "flag": True}) == {
        "updated_since": "2026-01-01T00:00:00+00:00",
        "from": "x",
        "flag": "true",
    }
    with pytest.raises(ValueError, match="time zone"):
        encode_params({"updated_since": datetime(2026, 1, 1)})
    assert (
        path_on_base("http://elsewhere/v1/exports/1/files/a.ndjson", "https://api/")
        == "/v1/exports/1/files/a.ndjson"
    )
    assert path_on_base("https://api/dmi/v1/x?y=1", "https://api/dmi/") == "/v1/x?y=1"


def test_signatures_as_the_standard_webhooks_library_makes_them() -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    at = datetime.now(UTC).replace(microsecond=0)
    body = '{"type":"ping"}'
    signature = Webhook(secret).sign("msg_1", at, body)
    headers = {
        "Webhook-Id": "msg_1",
        "Webhook-Timestamp": str(int(at.timestamp())),
        "Webhook-Signature": signature,
    }
    assert verify_webhook(secret, headers, body.encode()) == {"type": "ping"}
