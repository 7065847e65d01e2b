"""A worker's limit on each clinic's delivery calls in flight (`DMI_WEBHOOK_CLINIC_CALLS`): a
clinic whose receiver hangs holds its share of the worker's connections, never all of them, and
every other clinic's deliveries go out at once (README: "Workers")."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

DEFAULT_CLINIC_CALLS = 4  # a fifth of the delivery client's pool (`DEFAULT_MAX_CONNECTIONS`)


@dataclass
class _Share:
    places: asyncio.Semaphore
    users: int = 0  # the calls holding a place or waiting for one


class ClinicCalls:
    """At most `per_clinic` calls of one clinic at once; the clinic's other calls wait their
    turn, first come first served. A clinic with no call costs nothing."""

    def __init__(self, per_clinic: int = DEFAULT_CLINIC_CALLS) -> None:
        if per_clinic < 1:
            raise ValueError("a clinic needs at least one call at a time")
        self.per_clinic = per_clinic
        self._shares: dict[uuid.UUID, _Share] = {}

    @asynccontextmanager
    async def turn(self, clinic_id: uuid.UUID, within: float | None = None) -> AsyncIterator[bool]:
        """Hold one of the clinic's places for the block: True once one is free, False when none
        became free within `within` seconds (None: wait as long as it takes; 0 or less: only a
        place free now)."""
        share = self._shares.get(clinic_id)
        if share is None:
            share = self._shares[clinic_id] = _Share(asyncio.Semaphore(self.per_clinic))
        share.users += 1
        try:
            try:
                async with asyncio.timeout(within):
                    await share.places.acquire()
            except TimeoutError:
                yield False
                return
            try:
                yield True
            finally:
                share.places.release()
        finally:
            share.users -= 1
            if share.users == 0:
                del self._shares[clinic_id]
