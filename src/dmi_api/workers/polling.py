"""The embedded default's background loops (webhooks, exports): a round of work every few
seconds and an upkeep now and then, until the server stops; a failed round is logged by its
exception's type only (its text can hold values) and the next one runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dmi_api.models.columns import utcnow

Step = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Loop:
    """How often a loop works and upkeeps, and what it logs when a round fails."""

    every_seconds: float
    upkeep_every: timedelta
    logger: logging.Logger
    failed: str


async def poll(work: Step, upkeep: Step, loop: Loop, stop: asyncio.Event) -> None:
    """Run `work` every `loop.every_seconds` and `upkeep` at first and then every
    `loop.upkeep_every`, until `stop`; a round that raises is logged as `loop.failed`."""
    upkept_at: datetime | None = None
    while not stop.is_set():
        try:
            await work()
            if upkept_at is None or utcnow() - upkept_at > loop.upkeep_every:
                await upkeep()
                upkept_at = utcnow()
        except Exception as error:
            loop.logger.warning(loop.failed, extra={"exc_type": type(error).__name__})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), loop.every_seconds)
