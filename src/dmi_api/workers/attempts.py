"""The units of webhook work, whoever claims them (a pgqueuer job, the embedded poller): one
delivery attempt, one clinic's dispatch, the upkeep."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import Counter
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
    release_claims,
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
from dmi_api.workers.clinic_calls import ClinicCalls

logger = logging.getLogger("dmi_api.webhooks")
# Deliveries of one clinic a worker keeps waiting for the clinic's calls (`WebhookWork.offer`);
# more are left due, untouched, for a later job (the sweep's, within a minute).
OFFERS_PER_CLINIC = 100


def lease_for(timeout_seconds: float) -> timedelta:
    """A claimed attempt's lease: the call's total timeout and time to record its outcome."""
    return timedelta(seconds=timeout_seconds + 5)


LEASE = lease_for(DEFAULT_TIMEOUT_SECONDS)


@dataclass
class WebhookWork:
    """What every unit of work needs: sessions, the delivery client, the secrets' box, and the
    limit on each clinic's calls in flight (`clinic_calls`)."""

    sessionmaker: DbSessionMaker
    client: DeliveryClient
    box: SecretBox
    lease: timedelta = LEASE
    # Calls in flight per batch, whatever the clinic's limit: the client's pool (more would only
    # queue in it, and its queue costs time for every request waiting in it).
    max_calls: int = DEFAULT_MAX_CONNECTIONS
    rng: random.Random = field(default_factory=random.Random)
    # Told when claims leased until then are committed (the queue schedules a sweep after it,
    # so that a worker killed mid-attempt leaves its claims to be retried soon).
    on_claimed: Callable[[datetime], Awaitable[None]] | None = None
    # Sessions for the upkeep (sweep, prune), whose statements may take longer than a
    # request's (PostgreSQL: the long-running engine); None: `sessionmaker`.
    upkeep_sessionmaker: DbSessionMaker | None = None
    # At most so many calls of one clinic at once on this worker (`DMI_WEBHOOK_CLINIC_CALLS`):
    # a clinic whose receiver hangs holds its share of the pool, the others' calls go out.
    clinic_calls: ClinicCalls = field(default_factory=ClinicCalls)
    _offered: dict[uuid.UUID, asyncio.Task[None]] = field(default_factory=dict, init=False)
    _offers: Counter[uuid.UUID] = field(default_factory=Counter, init=False)
    _closing: bool = field(default=False, init=False)

    @classmethod
    def for_settings(
        cls, settings: Settings, sessionmaker: DbSessionMaker, client: DeliveryClient
    ) -> WebhookWork:
        """The work as the deployment's settings configure it (the lease fits the client's
        timeout, `DMI_WEBHOOK_TIMEOUT_SECONDS`; `DMI_WEBHOOK_CLINIC_CALLS`)."""
        return cls(
            sessionmaker,
            client,
            SecretBox(settings.secret_key.get_secret_value()),
            lease=lease_for(client.total_timeout_seconds),
            clinic_calls=ClinicCalls(settings.webhook_clinic_calls),
        )

    async def deliver(self, clinic_id: uuid.UUID, delivery_id: uuid.UUID) -> str | None:
        """Attempt the delivery if it is due and unclaimed, once the clinic has a call free on
        this worker (waiting for one, nothing claimed meanwhile): the claim commits before the
        call, the outcome is recorded after it; the delivery's new status (None: not attempted,
        or no connection was free in time: attempted when the claim's lease ends)."""
        async with self.clinic_calls.turn(clinic_id):
            if self._closing:
                return None
            async with self.sessionmaker() as db, db.begin():
                await bind_settings(db, clinic_id=clinic_id)
                claim = await claim_delivery(
                    Tenant(db, clinic_id), delivery_id, box=self.box, now=utcnow(), lease=self.lease
                )
            if claim is None:
                return None
            outcome = await self._call_in_lease(claim)
        if outcome is None:
            return None
        async with self.sessionmaker() as db, db.begin():
            await bind_settings(db, clinic_id=clinic_id)
            return await record_attempt(
                Tenant(db, clinic_id), claim, outcome, now=utcnow(), rng=self.rng
            )

    def offer(self, clinic_id: uuid.UUID, delivery_id: uuid.UUID) -> bool:
        """`deliver` in the background: a delivery job ends at once, so that a clinic's
        deliveries waiting for its calls hold none of the worker's job slots. False when not
        taken (offered already, `OFFERS_PER_CLINIC` of the clinic waiting, or closing): the
        delivery stays due, untouched, for a later job."""
        if (
            self._closing
            or delivery_id in self._offered
            or self._offers[clinic_id] >= OFFERS_PER_CLINIC
        ):
            return False
        self._offers[clinic_id] += 1
        self._offered[delivery_id] = asyncio.create_task(
            self._offered_delivery(clinic_id, delivery_id)
        )
        return True

    async def _offered_delivery(self, clinic_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
        try:
            await self.deliver(clinic_id, delivery_id)
        except Exception as error:  # logged by its type only: its text can hold values
            logger.warning("webhook delivery failed", extra={"exc_type": type(error).__name__})
        finally:
            del self._offered[delivery_id]
            self._offers[clinic_id] -= 1
            if not self._offers[clinic_id]:
                del self._offers[clinic_id]

    @property
    def closing(self) -> bool:
        """Whether the worker is stopping (`close`): nothing more is claimed."""
        return self._closing

    def close(self) -> None:
        """Claim nothing more: no more offers, the offered deliveries not yet claimed are let
        go (still due, untouched), a dispatch stops after its batch (`dispatch`)."""
        self._closing = True

    async def settle(self, within: float | None = None) -> int:
        """`close`, and record the calls in flight, for at most a lease or `within` seconds if
        sooner; then the late ones are dropped (their claims end with their leases and they are
        attempted again): how many were dropped."""
        self.close()
        pending = set(self._offered.values())
        if not pending:
            return 0
        wait = (
            self.lease.total_seconds()
            if within is None
            else min(within, self.lease.total_seconds())
        )
        _, late = await asyncio.wait(pending, timeout=max(wait, 0.0))
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        return len(late)

    async def _send(self, claim: Claim) -> DeliveryOutcome:
        headers = signed_headers(claim.message_id, claim.body, claim.secrets)
        return await post_json(self.client, claim.url, claim.body, headers)

    def _start_within(self, claim: Claim) -> float:
        """Seconds left to begin the call with its whole timeout inside its lease."""
        left = claim.lease_until - utcnow()
        return left.total_seconds() - self.client.total_timeout_seconds

    async def _call_in_lease(self, claim: Claim) -> DeliveryOutcome | None:
        """The call, made once a connection is free (its timeout runs from then); None when
        its whole timeout no longer fits in its lease: left for the job that takes it over
        when the lease ends (no attempt counted)."""
        async with self.client.slots:
            if self._start_within(claim) < 0:
                return None
            return await self._send(claim)

    async def _send_in_batch(
        self, claim: Claim, calls: asyncio.Semaphore
    ) -> tuple[Claim, DeliveryOutcome] | None:
        async with (
            calls,
            self.clinic_calls.turn(claim.clinic_id, within=self._start_within(claim)) as turn,
        ):
            outcome = await self._call_in_lease(claim) if turn else None
        return None if outcome is None else (claim, outcome)

    async def attempt(self, clinic_id: uuid.UUID, claims: Sequence[Claim]) -> None:
        """Attempt claimed deliveries, at most `max_calls` and the clinic's limit at once, and
        record their outcomes in one transaction; a call that could not begin inside its lease
        is released, uncounted, due again at once (a delivery job takes it)."""
        if not claims:
            return
        calls = asyncio.Semaphore(self.max_calls)
        sent = await asyncio.gather(*(self._send_in_batch(claim, calls) for claim in claims))
        async with self.sessionmaker() as db, db.begin():
            await bind_settings(db, clinic_id=clinic_id)
            tenant, now = Tenant(db, clinic_id), utcnow()
            made = [attempt for attempt in sent if attempt is not None]
            await record_attempts(tenant, made, now=now, rng=self.rng)
            begun = {claim.delivery_id for claim, _ in made}
            unbegun = [claim for claim in claims if claim.delivery_id not in begun]
            await release_claims(tenant, unbegun, now=now)

    async def dispatch(self, clinic_id: uuid.UUID) -> bool:
        """Turn the clinic's final events into deliveries and attempt them; True when a
        transaction that was running when this began may still be writing events (look again
        soon: its wake-up may have been folded into this run), or when the worker began to stop
        with events left (another worker's turn)."""
        async with self.sessionmaker() as db, db.begin():
            horizon = await running_before(Tenant(db, clinic_id))
        while True:
            if self._closing:  # the rest for another worker (its caller queues the job again)
                return True
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
