"""Bulk exports as a client sees them: kicked off (one unfinished per client), polled,
cancelled, their files found; and the expired ones removed with their files."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy.exc as sa_exc
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from dmi_api.auth.principal import Principal
from dmi_api.config import Settings
from dmi_api.errors import NotFoundError, TooManyRequestsError
from dmi_api.models import BulkExport
from dmi_api.models.columns import UTCDateTime, iso_z, utcnow
from dmi_api.services import export_files
from dmi_api.tenant_scope import Tenant

RESOURCE = "bulk_export"
# How soon a client polls again, or asks again after "one export at a time".
RETRY_AFTER_SECONDS = 2
# An unfinished export with no progress recorded for this long, and nothing running it (below).
STALLED_AFTER = timedelta(minutes=10)


async def kick_off(
    tenant: Tenant,
    principal: Principal,
    settings: Settings,
    *,
    export_format: str,
    level: str,
    types: list[str],
    since: datetime | None,
    request: str,
) -> BulkExport:
    """A new export, queued (on PostgreSQL its job is queued with it, by the table's trigger);
    429 while the client has one unfinished."""
    now = utcnow()
    row = BulkExport(
        clinic_id=tenant.clinic_id,
        client_id=principal.client_id,
        format=export_format,
        level=level,
        types=types,
        since=since,
        request=request,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(hours=settings.export_expiry_hours),
    )
    try:
        async with tenant.db.begin_nested():
            tenant.add(row)
            await tenant.db.flush()
    except sa_exc.IntegrityError:  # the partial unique index: one unfinished export a client
        raise _one_at_a_time() from None
    return row


def _one_at_a_time() -> TooManyRequestsError:
    return TooManyRequestsError(
        "This client already has an export running; wait for it, or cancel it.",
        retry_after_seconds=RETRY_AFTER_SECONDS,
    )


async def get(tenant: Tenant, export_id: uuid.UUID, export_format: str) -> BulkExport:
    """The clinic's export of this format, unexpired and not cancelled (else 404)."""
    row = await tenant.get(BulkExport, export_id)
    if (
        row is None
        or row.format != export_format
        or row.status == "cancelled"
        or row.expires_at <= utcnow()
    ):
        raise NotFoundError("No export with this id.")
    return row


async def cancel(tenant: Tenant, settings: Settings, row: BulkExport) -> None:
    """Cancel the export (a running job stops at its next chunk) and delete its files."""
    row.status, row.updated_at = "cancelled", utcnow()
    row.finished_at = row.finished_at or row.updated_at
    await tenant.db.flush()
    export_files.remove(settings.export_dir, row.clinic_id, row.id)


def file_path(settings: Settings, row: BulkExport, name: str) -> Path:
    """Where one of the completed export's files is (404 for any other name, and for one no
    longer on the disk: a cancel meanwhile, or an export directory this server does not see)."""
    listed = [entry["file"] for entry in [*row.output, *row.deleted]]
    if row.status != "completed" or name not in listed:
        raise NotFoundError("No file of this name in the export.")
    path = export_files.export_dir(settings.export_dir, row.clinic_id, row.id) / name
    if not path.is_file():
        raise NotFoundError("This file of the export is no longer available; export again.")
    return path


async def prune(db: AsyncSession, settings: Settings, now: datetime | None = None) -> int:
    """Every clinic's exports past their expiry: rows deleted, then their files (on PostgreSQL
    a SECURITY DEFINER function of the migrations: the app role sees one clinic at a time)."""
    moment = now or utcnow()
    if db.get_bind().dialect.name == "postgresql":
        statement = text("SELECT clinic_id, id FROM dmi_prune_bulk_exports(:b)")
    else:
        statement = text("DELETE FROM bulk_export WHERE expires_at <= :b RETURNING clinic_id, id")
    gone = (await db.execute(statement, {"b": moment})).all()
    for clinic_id, export_id in gone:
        export_files.remove(settings.export_dir, _uuid(clinic_id), _uuid(export_id))
    return len(gone)


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def manifest(row: BulkExport, *, request_url: str, files_url: str) -> dict[str, Any]:
    """The completed export's manifest (Bulk Data IG v2): `files_url` is where its files are
    served, `request_url` the kick-off's base; FHIR's tombstone files are Bundles."""
    assert row.transaction_time is not None, "a completed export has its snapshot's moment"

    def entries(found: list[dict[str, Any]], type_of: str | None = None) -> list[dict[str, Any]]:
        return [
            {
                "type": type_of or entry["type"],
                "url": f"{files_url}/{entry['file']}",
                "count": entry["count"],
            }
            for entry in found
        ]

    body: dict[str, Any] = {
        "transactionTime": iso_z(row.transaction_time),
        "request": f"{request_url}{row.request}",
        "requiresAccessToken": True,
        "output": entries(row.output),
        "error": [],
    }
    if row.since is not None:
        body["deleted"] = entries(row.deleted, "Bundle" if row.format == "fhir" else None)
    return body


async def requeue_stalled(db: AsyncSession, now: datetime | None = None) -> int:
    """Unfinished exports whose row has not moved for `STALLED_AFTER` and that nothing runs any
    more, queued again to start over (a running export records its progress every second).
    SQLite: running ones (their `serve` process ended mid-export). PostgreSQL: those without a
    job (it gave up while the database was out of reach; a dead worker's job is picked again by
    the job library), given a job again by a SECURITY DEFINER function of the migrations."""
    moment = (now or utcnow()) - STALLED_AFTER
    if db.get_bind().dialect.name == "postgresql":
        statement = text("SELECT clinic_id, id FROM dmi_requeue_bulk_exports(:b)")
    else:
        statement = text(
            "UPDATE bulk_export SET status = 'queued', progress = NULL"
            " WHERE status = 'running' AND updated_at < :b RETURNING clinic_id, id"
        )
    typed = statement.bindparams(bindparam("b", type_=UTCDateTime()))
    return len((await db.execute(typed, {"b": moment})).all())


async def queued_embedded(db: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """SQLite: the queued exports of every clinic, oldest first (PostgreSQL queues a job for
    each as it is inserted)."""
    rows = await db.execute(
        text("SELECT clinic_id, id FROM bulk_export WHERE status = 'queued' ORDER BY created_at")
    )
    return [(_uuid(clinic_id), _uuid(export_id)) for clinic_id, export_id in rows.all()]
