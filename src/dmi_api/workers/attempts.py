"""The units of webhook work, whoever claims them (a pgqueuer job, the embedded poller): one
delivery attempt, one clinic's dispatch, the upkeep."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker
from dmi_api.models.columns import utcnow
from dmi_api.services import webhook_upkeep
from dmi_api.services.webhook_deliveries import (
    Claim,
    claim_delivery,
    record_attempt,
    record_attempts,
)
from dmi_api.services.webhook_dispatch import (
    BATCH,
    all_final_below,
    dispatch_batch,
    running_before,
)
from dmi_api.tenant_scope import Tenant, bind_settings
from dmi_api.webhooks.outcome import DeliveryOutcome, post_json
from dmi_api.webhooks.safe_transport import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT_SECONDS,
    DeliveryClient,
)
from dmi_api.webhooks.secrets import SecretBox
from dmi_api.webhooks.signing import signed_headers


def lease_for(timeout_seconds: float) -> timedelta:
    """A claimed attempt's lease: the call's total timeout and time to record its outcome."""
    return timedelta(seconds=timeout_seconds + 5)


LEASE = lease_for(DEFAULT_TIMEOUT_SECONDS)


@dataclass
class WebhookWork:
    """What every unit of work needs: sessions, the delivery client, the secrets' box."""

    sessionmaker: DbSessionMaker
    client: DeliveryClient
    box: SecretBox
    lease: timedelta = LEASE
    # Calls in flight per batch: the client's pool (more would only queue in it, and its
    # queue costs time for every request waiting in it).
    max_calls: int = DEFAULT_MAX_CONNECTIONS
    rng: random.Random = field(default_factory=random.Random)
    # Told when claims leased until then are committed (the queue schedules a sweep after it,
    # so that a worker killed mid-attempt leaves its claims to be retried soon).
    on_claimed: Callable[[datetime], Awaitable[None]] | None = None
    # Sessions for the upkeep (sweep, prune), whose statements may take longer than a
    # request's (PostgreSQL: the long-running engine); None: `sessionmaker`.
    upkeep_sessionmaker: DbSessionMaker | None = None

    @classmethod
    def for_settings(
        cls, settings: Settings, sessionmaker: DbSessionMaker, client: DeliveryClient
    ) -> WebhookWork:
        """The work as the deployment's settings configure it (the lease fits the client's
        timeout, `DMI_WEBHOOK_TIMEOUT_SECONDS`)."""
        return cls(
            sessionmaker,
            client,
            SecretBox(settings.secret_key.get_secret_value()),
            lease=lease_for(client.total_timeout_seconds),
        )

    async def deliver(self, clinic_id: uuid.UUID, delivery_id: uuid.UUID) -> str | None:
        """Attempt the delivery if it is due and unclaimed: the claim commits before the call,
        the outcome is recorded after it; the delivery's new status (None: not attempted, or
        no connection was free in time: attempted when the claim's lease ends)."""
        async with self.sessionmaker() as db, db.begin():
            await bind_settings(db, clinic_id=clinic_id)
            claim = await claim_delivery(
                Tenant(db, clinic_id), delivery_id, box=self.box, now=utcnow(), lease=self.lease
            )
        if claim is None:
            return None
        outcome = await self._send_in_lease(claim)
        if outcome is None:
            return None
        async with self.sessionmaker() as db, db.begin():
            await bind_settings(db, clinic_id=clinic_id)
            return await record_attempt(
                Tenant(db, clinic_id), claim, outcome, now=utcnow(), rng=self.rng
            )

    async def _send(self, claim: Claim) -> DeliveryOutcome:
        headers = signed_headers(claim.message_id, claim.body, claim.secrets)
        return await post_json(self.client, claim.url, claim.body, headers)

    async def _send_in_lease(self, claim: Claim) -> DeliveryOutcome | None:
        """The call, made once a connection is free (its timeout runs from then); None when
        its whole timeout no longer fits in its lease: left for the job that takes it over
        when the lease ends (no attempt counted)."""
        async with self.client.slots:
            if utcnow() + timedelta(seconds=self.client.total_timeout_seconds) > claim.lease_until:
                return None
            return await self._send(claim)

    async def _send_in_batch(
        self, claim: Claim, calls: asyncio.Semaphore
    ) -> tuple[Claim, DeliveryOutcome] | None:
        async with calls:
            outcome = await self._send_in_lease(claim)
        return None if outcome is None else (claim, outcome)

    async def attempt(self, clinic_id: uuid.UUID, claims: Sequence[Claim]) -> None:
        """Attempt claimed deliveries, at most `max_calls` at once, and record their outcomes
        in one transaction."""
        if not claims:
            return
        calls = asyncio.Semaphore(self.max_calls)
        sent = await asyncio.gather(*(self._send_in_batch(claim, calls) for claim in claims))
        async with self.sessionmaker() as db, db.begin():
            await bind_settings(db, clinic_id=clinic_id)
            await record_attempts(
                Tenant(db, clinic_id),
                [attempt for attempt in sent if attempt is not None],
                now=utcnow(),
                rng=self.rng,
            )

    async def dispatch(self, clinic_id: uuid.UUID) -> bool:
        """Turn the clinic's final events into deliveries and attempt them; True when a
        transaction that was running when this began may still be writing events (look again
        soon: its wake-up may have been folded into this run)."""
        async with self.sessionmaker() as db, db.begin():
            horizon = await running_before(Tenant(db, clinic_id))
        while True:
            async with self.sessionmaker() as db, db.begin():
                await bind_settings(db, clinic_id=clinic_id)
                batch = await dispatch_batch(Tenant(db, clinic_id), box=self.box, lease=self.lease)
            if batch.claims and self.on_claimed is not None:
                await self.on_claimed(batch.claims[0].lease_until)
            await self.attempt(clinic_id, batch.claims)
            if batch.read < BATCH:
                break
        if horizon is None:
            return False
        async with self.sessionmaker() as db, db.begin():
            return not await all_final_below(Tenant(db, clinic_id), horizon)

    async def sweep(self) -> int:
        """Enqueue what no job covers (PostgreSQL)."""
        async with (self.upkeep_sessionmaker or self.sessionmaker)() as db, db.begin():
            return await webhook_upkeep.sweep(db)

    async def prune(self, retention_days: int) -> int:
        """Delete what is older than the retention (PostgreSQL)."""
        async with (self.upkeep_sessionmaker or self.sessionmaker)() as db, db.begin():
            return await webhook_upkeep.prune(db, utcnow() - timedelta(days=retention_days))
