"""Bulk exports as `--export` runs them: an export row queued as the owner, the app's own
`ExportRun` (the worker's code) timed, and PostgreSQL's `COPY` of the same rows beside it."""

from __future__ import annotations

import gc
import os
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import orjson

from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker
from dmi_api.direct.export_rows import SnapshotRows, stream_rows
from dmi_api.services.export_runner import ExportRun
from dmi_api.services.fhir_sources import FHIR_SOURCES
from dmi_api.services.v1_sources import V1_SOURCES

# An export row as `POST /v1/exports` leaves it; its trigger queues a `bulk_export` job, removed
# in the same transaction: no worker ever sees it (the bench runs the export itself).
_INSERT = """
INSERT INTO bulk_export (clinic_id, id, client_id, format, level, types, since, request, status,
    output, deleted, created_at, updated_at, expires_at)
VALUES ($1, $2, $3, $4, 'system', $5::json, NULL, 'bench --export', 'queued', '[]', '[]',
    now(), now(), now() + interval '1 day')
"""
_DEQUEUE = "DELETE FROM pgqueuer WHERE entrypoint = 'bulk_export'"


async def create_export(
    owner_dsn: str, clinic_id: uuid.UUID, export_format: str, types: list[str]
) -> uuid.UUID:
    """A queued export of `types` (system level, no `_since`) as the tables' owner."""
    export_id = uuid.uuid4()
    conn = await asyncpg.connect(owner_dsn)
    try:
        async with conn.transaction():
            await conn.execute(
                _INSERT,
                clinic_id,
                export_id,
                uuid.uuid4(),  # its own client: never in the way of another unfinished export
                export_format,
                orjson.dumps(types).decode(),
            )
            await conn.execute(_DEQUEUE)
    finally:
        await conn.close()
    return export_id


async def drop_export(owner_dsn: str, clinic_id: uuid.UUID, export_id: uuid.UUID) -> int:
    """The resources the export wrote (its manifest's counts), its row deleted."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        output = await conn.fetchval(
            "DELETE FROM bulk_export WHERE clinic_id = $1 AND id = $2 RETURNING output::text",
            clinic_id,
            export_id,
        )
    finally:
        await conn.close()
    entries: list[dict[str, object]] = orjson.loads(output or "[]")
    return sum(int(str(entry.get("count", 0))) for entry in entries)


# How the exports read their rows: as the workers do (`snapshot`: a connection of their own, a
# chunk ahead), or `session` (on the session's connection, in turn with the rendering), to
# measure what the read-ahead costs and buys side by side.
READER = os.environ.get("BENCH_EXPORT_READER", "snapshot")


async def run_export(
    sessionmaker: DbSessionMaker, settings: Settings, clinic_id: uuid.UUID, export_id: uuid.UUID
) -> tuple[str, float]:
    """`ExportRun(...).run()` as the worker calls it (what exists frozen out of the cyclic
    collector's sight, as `run_worker` does): its final status and its seconds."""
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    reader = SnapshotRows(settings) if READER != "session" else stream_rows
    run = ExportRun(sessionmaker, settings, clinic_id, export_id, reader=reader)
    status = await run.run()
    return status, time.perf_counter() - started


def catalogues() -> dict[str, dict[str, Any]]:
    """Every output type of each format, as the app has them."""
    return {"fhir": dict(FHIR_SOURCES), "v1": dict(V1_SOURCES)}


def tables_of(export_format: str, name: str) -> list[str]:
    """The tables an output type reads, one per part."""
    return [part.model.__tablename__ for part in catalogues()[export_format][name].parts]


def copy_query(table: str, live: bool) -> str:
    """PostgreSQL's own JSON of the clinic's rows (`$1`), the tombstones left out as the export
    leaves them out."""
    condition = " AND t.deleted_at IS NULL" if live else ""
    return f"SELECT row_to_json(t) FROM {table} t WHERE t.clinic_id = $1{condition}"  # noqa: S608


async def copy_rows(
    app_dsn: str, clinic_id: uuid.UUID, tables: list[str], path: Path
) -> tuple[int, float]:
    """`COPY (SELECT row_to_json(t) ...) TO STDOUT` of each table into a file (overwritten), as
    the app role with the clinic bound (row-level security applies, as to the export): rows and
    seconds."""
    conn = await asyncpg.connect(app_dsn)
    try:
        await conn.execute("SELECT set_config('dmi.clinic_id', $1, false)", str(clinic_id))
        live = {
            row["table_name"]
            for row in await conn.fetch(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND column_name = 'deleted_at'"
            )
        }
        rows, started = 0, time.perf_counter()
        for table in tables:
            status = await conn.copy_from_query(
                copy_query(table, table in live), clinic_id, output=path
            )
            rows += int(str(status).split()[-1])
        return rows, time.perf_counter() - started
    finally:
        await conn.close()


def vm_mb(field: str) -> float:
    """A field of /proc/self/status (`VmHWM`: the peak resident set size; `VmRSS`) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0
