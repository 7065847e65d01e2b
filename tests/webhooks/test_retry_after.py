"""A receiver's `Retry-After` on a 429 or 503: the next attempt is no sooner than it asked (but
never sooner than the schedule), at most 24 h after the answer and never past the delivery's
give-up time; an unreadable one is ignored. On a real receiver (PostgreSQL), and the parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from dmi_api.models.columns import utcnow
from dmi_api.webhooks.backoff import GIVE_UP_AFTER
from dmi_api.webhooks.retry_after import LONGEST, asked_wait
from dmi_api.workers.attempts import WebhookWork
from tests.webhooks.committed import Committed
from tests.webhooks.receiver import Receiver

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "wait"),
    [
        ("120", timedelta(seconds=120)),
        (" 7 ", timedelta(seconds=7)),
        ("0", timedelta(0)),
        ("Mon, 07 Dec 2026 13:00:00 GMT", timedelta(hours=1)),  # IMF-fixdate
        ("Monday, 07-Dec-26 13:00:00 GMT", timedelta(hours=1)),  # RFC 850
        ("Mon Dec  7 13:00:00 2026", timedelta(hours=1)),  # asctime
        ("Sun, 06 Dec 2026 13:00:00 GMT", timedelta(0)),  # already past
        ("9" * 5000, LONGEST),
        (None, None),
        ("", None),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("\u0661\u0662", None),  # digits, but not ASCII ones
        ("Mon, 32 Dec 2026 13:00:00 GMT", None),
    ],
)
def test_what_a_retry_after_asks_for(value: str | None, wait: timedelta | None) -> None:
    assert asked_wait(value, NOW) == wait


def test_a_retry_after_date_past_any_calendar_is_no_answer() -> None:
    # A year no datetime holds: the parser's OverflowError must not escape.
    assert asked_wait("Mon, 01 Jan 99999999999 00:00:00 GMT", NOW) is None


def _url(receiver: Receiver, status: int) -> str:
    return f"http://127.0.0.1:{receiver.port}/status/{status}"


async def _attempt(
    committed: Committed,
    work: WebhookWork,
    receiver: Receiver,
    status: int,
    retry_after: str | None,
    *,
    attempts: int = 0,
    age: timedelta = timedelta(0),
) -> tuple[Any, datetime]:
    """One attempt of a delivery (`attempts` made already, created `age` ago) answered with
    `status` and `retry_after`: its row after the attempt, and when the answer came."""
    receiver.retry_after = retry_after
    endpoint = await committed.endpoint(_url(receiver, status))
    delivery_id = await committed.delivery(endpoint, attempts=attempts)
    await committed.sql(
        "UPDATE webhook_delivery SET created_at = :t WHERE id = :i", t=utcnow() - age, i=delivery_id
    )
    assert await work.deliver(endpoint.clinic_id, delivery_id) == "pending"
    answered = utcnow()
    row = await committed.delivery_row(delivery_id)
    assert (row.attempts, row.last_status_code) == (attempts + 1, status)
    return row, answered


@pytest.mark.postgres_only
async def test_a_429_is_retried_no_sooner_than_its_retry_after_seconds(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    row, answered = await _attempt(committed, work, receiver, 429, "3600")
    # The schedule says 5 s (±20 %); the receiver asked for an hour.
    assert (
        answered + timedelta(seconds=3595)
        <= row.next_attempt_at
        <= answered + timedelta(seconds=3600)
    )
    assert row.last_retry_after_seconds == 3600
    assert row.last_error_class == "http_error"


@pytest.mark.postgres_only
async def test_a_503_is_retried_no_sooner_than_its_retry_after_date(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    date = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    row, _ = await _attempt(committed, work, receiver, 503, format_datetime(date, usegmt=True))
    assert date <= row.next_attempt_at <= date + timedelta(seconds=5)
    assert 7190 <= row.last_retry_after_seconds <= 7200


@pytest.mark.postgres_only
@pytest.mark.parametrize("garbage", ["soon", "-30", "1.5e3", "Mon, 32 Dec 2026 13:00:00 GMT"])
async def test_an_unreadable_retry_after_is_ignored(
    committed: Committed, work: WebhookWork, receiver: Receiver, garbage: str
) -> None:
    row, answered = await _attempt(committed, work, receiver, 503, garbage)
    assert row.last_retry_after_seconds is None
    # The schedule's 5 s, ±20 %.
    assert answered + timedelta(seconds=3) <= row.next_attempt_at <= answered + timedelta(seconds=6)


@pytest.mark.postgres_only
async def test_a_retry_after_on_another_status_is_not_an_ask(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    row, answered = await _attempt(committed, work, receiver, 500, "3600")
    assert row.last_retry_after_seconds is None
    assert row.next_attempt_at <= answered + timedelta(seconds=6)


@pytest.mark.postgres_only
async def test_a_retry_after_never_brings_the_next_attempt_forward(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    # Three attempts failed already: the schedule's next pause is 2 h; the receiver asks 60 s.
    row, answered = await _attempt(committed, work, receiver, 429, "60", attempts=3)
    assert row.last_retry_after_seconds == 60
    assert row.next_attempt_at >= answered + timedelta(hours=2) * 0.8


@pytest.mark.postgres_only
async def test_a_retry_after_counts_for_at_most_a_day(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    row, answered = await _attempt(committed, work, receiver, 429, str(7 * 86_400))
    assert row.last_retry_after_seconds == 7 * 86_400
    day = answered + timedelta(hours=24)
    assert day - timedelta(seconds=5) <= row.next_attempt_at <= day


@pytest.mark.postgres_only
async def test_a_retry_after_never_passes_the_delivery_s_give_up_time(
    committed: Committed, work: WebhookWork, receiver: Receiver
) -> None:
    # Made 71 h ago: its give-up time is 35 min away; the receiver asks for 2 h.
    age = timedelta(hours=71)
    row, answered = await _attempt(committed, work, receiver, 503, "7200", age=age)
    give_up = row.created_at + GIVE_UP_AFTER
    assert give_up - answered < timedelta(minutes=36)
    assert row.next_attempt_at == give_up
    assert row.last_retry_after_seconds == 7200
