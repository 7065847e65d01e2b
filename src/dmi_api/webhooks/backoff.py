"""When a failed delivery is tried again: exponential backoff with jitter over about three
days, then it is given up; never sooner than a receiver asked with `Retry-After` (README:
"Delivery")."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

# The pause after the n-th failed attempt (before jitter): about 72 hours in all.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=14),
)
JITTER = 0.2  # each pause is stretched or shrunk by up to this share, at random
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# An endpoint whose every delivery has failed for this long is disabled.
DISABLE_AFTER = timedelta(days=5)
# A delivery's give-up time, from its creation: the schedule's span (71 h 35 min 5 s). A
# receiver's `Retry-After` never puts the next attempt past it, nor more than a day ahead.
GIVE_UP_AFTER = sum(RETRY_DELAYS, timedelta())
LONGEST_ASKED_WAIT = timedelta(hours=24)


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta | None:
    """The pause before the next attempt after `attempts` attempts have failed, or None when
    the delivery is given up."""
    if attempts < 1 or attempts > len(RETRY_DELAYS):
        return None
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return RETRY_DELAYS[attempts - 1] * factor


def next_attempt_at(
    attempts: int,
    *,
    now: datetime,
    created_at: datetime,
    asked: timedelta | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to attempt again after `attempts` attempts have failed, the last one just now
    (None: give up): after `retry_delay`, or later when the receiver asked to wait longer
    (`asked`, its `Retry-After`), which counts for at most `LONGEST_ASKED_WAIT` and never past
    the delivery's give-up time (`created_at` + `GIVE_UP_AFTER`). A receiver never makes it
    sooner than the schedule."""
    delay = retry_delay(attempts, rng)
    if delay is None:
        return None
    scheduled = now + delay
    if asked is None:
        return scheduled
    wanted = min(now + min(asked, LONGEST_ASKED_WAIT), created_at + GIVE_UP_AFTER)
    return max(scheduled, wanted)
