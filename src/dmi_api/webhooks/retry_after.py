"""A receiver's `Retry-After` (RFC 9110, 10.2.3): how long it asked us to wait, from a
delta-seconds value or an HTTP date (IMF-fixdate, and the obsolete RFC 850 and asctime forms a
recipient must also read); anything else is not an answer and is ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dmi_api.http_dates import read_http_date

# Answers that ask a client to come back later with `Retry-After` (RFC 6585, RFC 9110).
ASKS_TO_WAIT = frozenset({429, 503})
# Longer asks are read as this (a receiver's "come back in a century"; every ask is capped far
# below it when the next attempt is scheduled, `webhooks.backoff.next_attempt_at`).
LONGEST = timedelta(days=365)


def asked_wait(value: str | None, now: datetime | None = None) -> timedelta | None:
    """The wait a `Retry-After` value asks for, from `now` (a date already past: no wait);
    None when there is none or it is not delta-seconds nor an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        digits = value.lstrip("0")[:16] or "0"  # 16 digits are far past LONGEST already
        return timedelta(seconds=min(int(digits), int(LONGEST.total_seconds())))
    date = read_http_date(value)
    if date is None:
        return None
    wait = date - (now or datetime.now(UTC))
    return min(max(wait, timedelta(0)), LONGEST)
