"""The units of webhook work, whoever claims them (a pgqueuer job, the embedded poller): one
delivery attempt, one clinic's dispatch, the upkeep."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker
from dmi_api.models.columns import utcnow
from dmi_api.services import webhook_upkeep
from dmi_api.services.webhook_deliveries import claim_delivery, record_attempt
from dmi_api.services.webhook_dispatch import (
    BATCH,
    all_final_below,
    dispatch_batch,
    running_before,
)
from dmi_api.tenant_scope import Tenant, bind_settings
from dmi_api.webhooks.outcome import post_json
from dmi_api.webhooks.safe_transport import DEFAULT_TIMEOUT_SECONDS, DeliveryClient
from dmi_api.webhooks.secrets import SecretBox
from dmi_api.webhooks.signing import signed_headers

# A claimed attempt's lease: the call's total timeout and time to record its outcome.
LEASE = timedelta(seconds=DEFAULT_TIMEOUT_SECONDS + 5)


@dataclass
class WebhookWork:
    """What every unit of work needs: sessions, the delivery client, the secrets' box."""

    sessionmaker: DbSessionMaker
    client: DeliveryClient
    box: SecretBox
    lease: timedelta = LEASE
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def for_settings(
        cls, settings: Settings, sessionmaker: DbSessionMaker, client: DeliveryClient
    ) -> WebhookWork:
        """The work as the deployment's settings configure it."""
        return cls(sessionmaker, client, SecretBox(settings.secret_key.get_secret_value()))

    async def deliver(self, clinic_id: uuid.UUID, delivery_id: uuid.UUID) -> str | None:
        """Attempt the delivery if it is due and unclaimed: the claim commits before the call,
        the outcome is recorded after it; the delivery's new status (None: not attempted)."""
        async with self.sessionmaker() as db, db.begin():
            await bind_settings(db, clinic_id=clinic_id)
            claim = await claim_delivery(
                Tenant(db, clinic_id), delivery_id, box=self.box, now=utcnow(), lease=self.lease
            )
        if claim is None:
            return None
        headers = signed_headers(claim.message_id, claim.body, claim.secrets)
        outcome = await post_json(self.client, claim.url, claim.body, headers)
        async with self.sessionmaker() as db, db.begin():
            await bind_settings(db, clinic_id=clinic_id)
            return await record_attempt(
                Tenant(db, clinic_id), claim, outcome, now=utcnow(), rng=self.rng
            )

    async def dispatch(self, clinic_id: uuid.UUID) -> bool:
        """Turn the clinic's final events into deliveries; True when a transaction that was
        running when this began may still be writing events (look again soon: its wake-up may
        have been folded into this run)."""
        async with self.sessionmaker() as db, db.begin():
            horizon = await running_before(Tenant(db, clinic_id))
        while True:
            async with self.sessionmaker() as db, db.begin():
                await bind_settings(db, clinic_id=clinic_id)
                read = await dispatch_batch(Tenant(db, clinic_id))
            if read < BATCH:
                break
        if horizon is None:
            return False
        async with self.sessionmaker() as db, db.begin():
            return not await all_final_below(Tenant(db, clinic_id), horizon)

    async def sweep(self) -> int:
        """Enqueue what no job covers (PostgreSQL)."""
        async with self.sessionmaker() as db, db.begin():
            return await webhook_upkeep.sweep(db)

    async def prune(self, retention_days: int) -> int:
        """Delete what is older than the retention (PostgreSQL)."""
        async with self.sessionmaker() as db, db.begin():
            return await webhook_upkeep.prune(db, utcnow() - timedelta(days=retention_days))
