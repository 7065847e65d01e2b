"""Committed webhook data for delivery tests (workers read only what is committed): a clinic
with an endpoint, deliveries, and the cleanup of all of it and of its queued jobs."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dmi_api.config import Settings
from dmi_api.db import create_engine, create_sessionmaker
from dmi_api.models.clinics import FHIR_ID_KEY_BYTES
from dmi_api.models.columns import utcnow
from dmi_api.webhooks.safe_transport import delivery_client
from dmi_api.webhooks.secrets import SecretBox, new_secret
from dmi_api.workers.attempts import WebhookWork

# The longest a test waits for the transactions running on the server to end.
SETTLE_SECONDS = 30.0


@dataclass
class Endpoint:
    """An endpoint as committed: its clinic, id and plain secrets."""

    clinic_id: uuid.UUID
    id: uuid.UUID
    secret: str
    previous_secret: str | None


class Committed:
    """Rows committed as the database owner (row-level security is not under test here)."""

    def __init__(self, owner_url: str, settings: Settings) -> None:
        self.engine: AsyncEngine = create_engine(Settings(database_url=SecretStr(owner_url)))
        self.box = SecretBox(settings.secret_key.get_secret_value())
        self.clinics: list[uuid.UUID] = []

    async def sql(self, statement: str, **values: Any) -> list[Any]:
        async with self.engine.begin() as db:
            result = await db.execute(text(statement), values)
            return list(result.all()) if result.returns_rows else []

    async def clinic(self) -> uuid.UUID:
        """A committed clinic, deleted with everything of it at the end."""
        clinic_id = uuid.uuid4()
        self.clinics.append(clinic_id)
        await self.sql(
            "INSERT INTO clinic (id, name, fhir_id_key, created_at, updated_at)"
            " VALUES (:c, 'W', :k, now(), now())",
            c=clinic_id,
            k=secrets.token_bytes(FHIR_ID_KEY_BYTES),
        )
        return clinic_id

    async def endpoint(
        self,
        url: str,
        *,
        event_types: tuple[str, ...] = ("child.*",),
        rotating: bool = False,
        failing_since: datetime | None = None,
    ) -> Endpoint:
        clinic_id, endpoint_id = await self.clinic(), uuid.uuid4()
        secret, previous = new_secret(), new_secret() if rotating else None
        now = utcnow()
        await self.sql(
            "INSERT INTO webhook_endpoint (clinic_id, id, url, event_types, status, secret,"
            " previous_secret, previous_secret_expires_at, failing_since, version, created_at,"
            " updated_at) VALUES (:c, :i, :u, CAST(:t AS json), 'active', :s, :p, :pe, :f, 1,"
            " :n, :n)",
            c=clinic_id,
            i=endpoint_id,
            u=url,
            t='["' + '","'.join(event_types) + '"]',
            s=self.box.seal(secret, endpoint_id),
            p=self.box.seal(previous, endpoint_id) if previous else None,
            pe=now + timedelta(hours=24) if previous else None,
            f=failing_since,
            n=now,
        )
        return Endpoint(clinic_id, endpoint_id, secret, previous)

    async def delivery(
        self, endpoint: Endpoint, *, attempts: int = 0, event_type: str = "ping"
    ) -> uuid.UUID:
        delivery_id, event_id = uuid.uuid4(), uuid.uuid4()
        payload = f'{{"id": "{event_id}", "type": "{event_type}", "endpoint_id": "{endpoint.id}"}}'
        await self.sql(
            "INSERT INTO webhook_delivery (clinic_id, id, endpoint_id, event_id, event_type,"
            " payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES"
            " (:c, :i, :e, :v, :t, CAST(:p AS json), 'pending', :a, now(), now(), now())",
            c=endpoint.clinic_id,
            i=delivery_id,
            e=endpoint.id,
            v=event_id,
            t=event_type,
            p=payload,
            a=attempts,
        )
        return delivery_id

    async def event(
        self,
        clinic_id: uuid.UUID,
        *,
        event_type: str = "child.updated",
        occurred_at: datetime | None = None,
        resource_id: uuid.UUID | None = None,
    ) -> None:
        """A committed change event of the clinic (its own transaction)."""
        await self.sql(
            "INSERT INTO change_event (clinic_id, id, tx, seq, type, occurred_at, resource_type,"
            " resource_id, version, child_id, changed_fields) VALUES (:c, :i,"
            " pg_current_xact_id()::text::bigint, nextval('change_event_seq'), :t, :at, :r,"
            " :ri, 1, NULL, CAST('[]' AS json))",
            c=clinic_id,
            i=uuid.uuid4(),
            t=event_type,
            at=occurred_at or utcnow(),
            r=event_type.split(".")[0],
            ri=resource_id or uuid.uuid4(),
        )

    async def events(self, clinic_id: uuid.UUID, count: int) -> None:
        """`count` committed `child.updated` events of the clinic, in one transaction."""
        await self.sql(
            "INSERT INTO change_event (clinic_id, id, tx, seq, type, occurred_at, resource_type,"
            " resource_id, version, child_id, changed_fields) SELECT :c, gen_random_uuid(),"
            " pg_current_xact_id()::text::bigint, nextval('change_event_seq'), 'child.updated',"
            " now(), 'child', gen_random_uuid(), 1, NULL, CAST('[]' AS json)"
            " FROM generate_series(1, :n)",
            c=clinic_id,
            n=count,
        )

    async def export(self, clinic_id: uuid.UUID) -> uuid.UUID:
        """A queued FHIR export of the clinic's practitioners, of a client of its own, as
        `GET /fhir/R4/$export` leaves it: its trigger queues the `bulk_export` job."""
        export_id = uuid.uuid4()
        await self.sql(
            "INSERT INTO bulk_export (clinic_id, id, client_id, format, level, types, since,"
            " request, status, output, deleted, created_at, updated_at, expires_at) VALUES"
            " (:c, :i, :cl, 'fhir', 'system', CAST('[\"Practitioner\"]' AS json), NULL,"
            " '/fhir/R4/$export', 'queued', CAST('[]' AS json), CAST('[]' AS json), now(),"
            " now(), now() + interval '1 day')",
            c=clinic_id,
            i=export_id,
            cl=uuid.uuid4(),
        )
        return export_id

    async def export_statuses(self) -> list[str]:
        """The statuses of the exports of this test's clinics, sorted."""
        rows = await self.sql(
            "SELECT status FROM bulk_export WHERE clinic_id = ANY(:c) ORDER BY status",
            c=self.clinics,
        )
        return [row.status for row in rows]

    async def settled(self) -> None:
        """Wait until every transaction running now has ended. The dispatcher reads only the
        events of transactions older than the oldest one running on the PostgreSQL server (in
        any database: a parallel test run's too); `dmi-api worker` dispatches again until then,
        a test that dispatches once waits for it first."""
        [now] = await self.sql("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS x")
        async with asyncio.timeout(SETTLE_SECONDS):
            while True:
                [done] = await self.sql(
                    "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint >= :x AS ok",
                    x=now.x,
                )
                if done.ok:
                    return
                await asyncio.sleep(0.02)

    async def delivery_row(self, delivery_id: uuid.UUID) -> Any:
        rows = await self.sql("SELECT * FROM webhook_delivery WHERE id = :i", i=delivery_id)
        return rows[0]

    async def cleanup(self) -> None:
        for clinic_id in self.clinics:
            for table in ("webhook_delivery", "webhook_dispatch", "change_event", "bulk_export"):
                await self.sql(f"DELETE FROM {table} WHERE clinic_id = :c", c=clinic_id)  # noqa: S608
            await self.sql("DELETE FROM webhook_endpoint WHERE clinic_id = :c", c=clinic_id)
            await self.sql(
                "DELETE FROM pgqueuer WHERE convert_from(payload, 'UTF8') LIKE :p",
                p=f"{clinic_id}%",
            )
            await self.sql("DELETE FROM clinic WHERE id = :c", c=clinic_id)
        await self.engine.dispose()


def work_for(
    settings: Settings, engine: AsyncEngine, *, timeout_seconds: float = 10.0
) -> WebhookWork:
    """The delivery work on the app's role, loopback allowed."""
    client = delivery_client(allow_loopback=True, timeout_seconds=timeout_seconds)
    return WebhookWork.for_settings(settings, create_sessionmaker(engine), client)
