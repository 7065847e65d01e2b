"""When a failed delivery is tried again: exponential backoff with jitter over about three
days, then it is given up (README: "Webhooks")."""

from __future__ import annotations

import random
from datetime import timedelta

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


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta | None:
    """The pause before the next attempt after `attempts` attempts have failed, or None when
    the delivery is given up."""
    if attempts < 1 or attempts > len(RETRY_DELAYS):
        return None
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return RETRY_DELAYS[attempts - 1] * factor
