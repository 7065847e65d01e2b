"""Running one bulk export (the `bulk_export` job): the clinic's rows read from one consistent
snapshot, chunk by chunk (never a whole table in memory), rendered and written as NDJSON; its
progress and the cancellation checked between chunks; its manifest recorded at the end."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from dmi_api.config import Settings
from dmi_api.db import WRITES
from dmi_api.fhir.bundles import deletion_bundle
from dmi_api.models import BulkExport
from dmi_api.models.columns import utcnow
from dmi_api.queries.predicates import columns, live
from dmi_api.services import fhir_sources
from dmi_api.services.export_files import NdjsonFiles, export_dir, remove
from dmi_api.services.export_sources import Context, Part, Source
from dmi_api.services.fhir_sources import FHIR_SOURCES
from dmi_api.services.fhir_vanished import vanished
from dmi_api.services.v1_sources import V1_SOURCES
from dmi_api.tenant_scope import Tenant, bind_settings, named_rows

logger = logging.getLogger("dmi_api.exports")
CHUNK = 1_000
PROGRESS_EVERY_SECONDS = 1.0
# A write stamps `updated_at` before it commits: one committed just after the snapshot began
# may carry a time before it. The manifest's `transactionTime` (the next `_since`) is taken
# this much earlier, longer than any request's transaction lasts (statements time out after
# `DMI_DB_STATEMENT_TIMEOUT_MS`): such a write is exported again, never missed.
IN_FLIGHT_MARGIN = timedelta(seconds=30)


RowReader = Callable[[AsyncSession, Select[Any], int], AsyncIterator[list[Any]]]


async def session_rows(
    db: AsyncSession, statement: Select[Any], chunk: int
) -> AsyncIterator[list[Any]]:
    """A statement's rows in chunks from the session's result stream (every backend), as named
    tuples."""
    result = await db.stream(statement.execution_options(yield_per=chunk))
    async for rows in result.partitions(chunk):
        yield named_rows(rows)


class ExportCancelledError(Exception):
    """The export was cancelled (or expired) while it ran."""


async def _state(
    sessionmaker: async_sessionmaker[AsyncSession],
    clinic_id: uuid.UUID,
    export_id: uuid.UUID,
    change: Callable[[BulkExport], None] | None = None,
) -> BulkExport | None:
    """The export's row, in a short transaction of its own; `change` applied and committed
    (to the row locked as it is: a cancel committed meanwhile is seen, not overwritten)."""
    async with sessionmaker() as db, db.begin():
        await bind_settings(db, clinic_id=clinic_id)
        tenant = Tenant(db, clinic_id)
        statement = tenant.select(BulkExport).where(col(BulkExport.id) == export_id)
        if change is not None:
            statement = statement.with_for_update()
        row = (await db.execute(statement)).scalar_one_or_none()
        if row is not None and change is not None:
            change(row)
            row.updated_at = utcnow()
        return row


class ExportRun:
    """One run of one export (a job retried after its worker died starts again from scratch)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        clinic_id: uuid.UUID,
        export_id: uuid.UUID,
        *,
        snapshot: bool = True,
        in_flight_margin: timedelta = IN_FLIGHT_MARGIN,
        reader: RowReader | None = None,
    ) -> None:
        self.sessionmaker, self.settings = sessionmaker, settings
        self.clinic_id, self.export_id = clinic_id, export_id
        # False only where the caller's transaction already is the snapshot (tests).
        self.snapshot = snapshot
        self.in_flight_margin = in_flight_margin
        # How rows are read: the session's result stream, or (PostgreSQL's workers) the
        # driver's own cursor in the same transaction (`direct.export_rows`).
        self.reader: RowReader = reader or session_rows
        self.written = 0
        self._reported = time.monotonic()

    async def run(self) -> str:
        """Run the export; its final status (`completed`, `failed`, `cancelled`, or `gone`)."""
        export = await _state(self.sessionmaker, self.clinic_id, self.export_id, _start)
        if export is None or export.status != "running":
            return "gone" if export is None else export.status
        remove(self.settings.export_dir, self.clinic_id, self.export_id)
        try:
            output, deleted, moment = await self._write(export)
        except ExportCancelledError:
            remove(self.settings.export_dir, self.clinic_id, self.export_id)
            return "cancelled"
        except Exception as error:
            remove(self.settings.export_dir, self.clinic_id, self.export_id)
            # Types only: an exception's text can hold values.
            logger.warning("export failed", extra={"exc_type": type(error).__name__})
            await _state(
                self.sessionmaker, self.clinic_id, self.export_id, _finish("failed", error)
            )
            return "failed"
        finished = await _state(
            self.sessionmaker,
            self.clinic_id,
            self.export_id,
            _complete(output, deleted, moment, self.settings.export_expiry_hours),
        )
        if finished is None or finished.status != "completed":  # cancelled at the last moment
            remove(self.settings.export_dir, self.clinic_id, self.export_id)
            return "cancelled"
        return "completed"

    async def _write(
        self, export: BulkExport
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], datetime]:
        directory = export_dir(self.settings.export_dir, self.clinic_id, self.export_id)
        async with self.sessionmaker() as db:
            if self.snapshot:
                await db.connection(execution_options=_snapshot_options(db))
            await bind_settings(db, clinic_id=self.clinic_id)
            # The snapshot's moment, less the margin: what changed after it is in the next
            # export (`_since`), a write that began before and committed after included.
            moment = utcnow()
            if self.snapshot and db.get_bind().dialect.name == "postgresql":
                moment = (await db.execute(select(func.now()))).scalar_one()
            moment -= self.in_flight_margin
            context = Context(Tenant(db, self.clinic_id), self.settings.issuer)
            output: list[dict[str, Any]] = []
            deleted: list[dict[str, Any]] = []
            catalogue = FHIR_SOURCES if export.format == "fhir" else V1_SOURCES
            for source in (catalogue[name] for name in export.types):
                if export.level == "patient" and not source.patient:
                    continue
                max_bytes = self.settings.export_file_max_bytes
                with NdjsonFiles(directory, source.name, max_bytes) as files:
                    for part in source.parts:
                        changed = _changed(context, export, part)
                        render = partial(_flat, part, context)
                        await self._chunks(db, context, part, changed, render, files)
                output += files.entries(source.name)
                if export.since is not None:
                    name = f"deleted-{source.name}"
                    with NdjsonFiles(directory, name, max_bytes) as files:
                        await self._tombstones(db, context, source, export, files)
                    deleted += files.entries(source.name)
        return output, deleted, moment

    async def _tombstones(
        self,
        db: AsyncSession,
        context: Context,
        source: Source,
        export: BulkExport,
        files: NdjsonFiles,
    ) -> None:
        """What was deleted after `since`: the tombstones (and, in FHIR, the records of deleted
        children, and the resources that vanished from a record that changed)."""
        for part in source.parts:
            if export.format == "fhir":
                condition = fhir_sources.deleted_after(context, part, export.since)
            else:
                c = columns(part.model)
                condition = c.deleted_at.is_not(None) & (c.deleted_at > export.since)
            if part.where is not None:
                condition = condition & part.where()
            render = partial(_tombstones, export.format, part, context)
            await self._chunks(db, context, part, condition, render, files)
            if export.format == "fhir" and part.vanishing and export.since is not None:
                changed = _changed(context, export, part, everything=True)
                render = partial(vanished, part, context, export.since)
                await self._chunks(db, context, part, changed, render, files)

    async def _chunks(
        self,
        db: AsyncSession,
        context: Context,
        part: Part,
        condition: Any,
        render: Callable[[list[Any]], Awaitable[list[dict[str, Any]]]],
        files: NdjsonFiles,
    ) -> None:
        statement = part.select(context.tenant).where(condition)
        async for chunk in self.reader(db, statement, CHUNK):
            with _no_cycle_collection():
                resources = await render(chunk)
                files.write(resources)
                written = len(resources)
                # Freed before the collector is back: it then finds no new objects to scan.
                del resources, chunk
            self.written += written
            db.expunge_all()  # rows the rendering loaded (children for ages, ...)
            await self._report()

    async def _report(self) -> None:
        """Every second: the progress recorded, and a cancellation noticed."""
        now = time.monotonic()
        if now - self._reported < PROGRESS_EVERY_SECONDS:
            await asyncio.sleep(0)  # the embedded server's requests go on
            return
        self._reported = now
        progress = f"{self.written} resources written"
        row = await _state(self.sessionmaker, self.clinic_id, self.export_id, _progress(progress))
        if row is None or row.status != "running":
            raise ExportCancelledError


def _snapshot_options(db: AsyncSession) -> dict[str, Any]:
    """One consistent snapshot, read only: PostgreSQL's repeatable read; SQLite's deferred
    transaction (its snapshot is taken at the first read, and it holds no writer up)."""
    if db.get_bind().dialect.name == "postgresql":
        return {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    return {WRITES: False}


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A chunk rendered without the cyclic collector: its many small dicts hold no cycles
    (reference counting frees them), and the collector's passes over them took most of a
    large resource's time (bench/README.md, "Bulk export")."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _changed(context: Context, export: BulkExport, part: Part, *, everything: bool = False) -> Any:
    """The live rows an export writes (changed after `since` when given; FHIR's of live
    children); `everything`: those whose resources may be none now (no `where`)."""
    condition = live(part.model)
    if part.where is not None and not everything:
        condition = condition & part.where()
    if export.format == "fhir":
        patient = fhir_sources.of_live_patient(context, part)
        if patient is not None:
            condition = condition & patient
    if export.since is not None:
        condition = condition & (columns(part.model).updated_at > export.since)
    return condition


async def _flat(part: Part, context: Context, rows: list[Any]) -> list[dict[str, Any]]:
    return [resource for found in await part.render(context, rows) for resource in found]


async def _tombstones(
    export_format: str, part: Part, context: Context, rows: list[Any]
) -> list[dict[str, Any]]:
    """How tombstones are written: FHIR's transaction Bundles deleting what each row was (its
    resources, rendered), or `/v1` ids."""
    if export_format != "fhir":
        return [{"id": row.id, "deleted_at": row.deleted_at} for row in rows]
    rendered = await part.render(context, rows)
    return [deletion_bundle(found) for found in rendered if found]


async def claim_queued(
    sessionmaker: async_sessionmaker[AsyncSession], clinic_id: uuid.UUID, export_id: uuid.UUID
) -> bool:
    """Take a queued export for this process, before `ExportRun.run`: whether it was still
    queued. Several `dmi-api serve` workers poll one embedded file, and SQLite's write
    transactions take the lock as they begin: one of them claims it, the others see it running."""
    claimed = False

    def take(row: BulkExport) -> None:
        nonlocal claimed
        if row.status == "queued":
            _start(row)
            claimed = True

    await _state(sessionmaker, clinic_id, export_id, take)
    return claimed


def _start(row: BulkExport) -> None:
    if row.status in ("queued", "running"):  # running: the job again after its worker died
        row.status, row.progress = "running", "0 resources written"


def _progress(progress: str) -> Callable[[BulkExport], None]:
    def change(row: BulkExport) -> None:
        if row.status == "running":
            row.progress = progress

    return change


def _finish(status: str, error: Exception | None = None) -> Callable[[BulkExport], None]:
    def change(row: BulkExport) -> None:
        if row.status == "running":
            row.status, row.finished_at = status, utcnow()
            row.error = type(error).__name__ if error is not None else None

    return change


def _complete(
    output: list[dict[str, Any]], deleted: list[dict[str, Any]], moment: datetime, hours: int
) -> Callable[[BulkExport], None]:
    def change(row: BulkExport) -> None:
        if row.status == "running":
            row.status, row.finished_at = "completed", utcnow()
            row.output, row.deleted, row.transaction_time = output, deleted, moment
            row.progress = None
            row.expires_at = row.finished_at + timedelta(hours=hours)

    return change
