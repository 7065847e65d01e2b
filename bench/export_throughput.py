"""Resources a second of the app's bulk export (FHIR and `/v1` NDJSON) against PostgreSQL's own
`COPY ... row_to_json` of the same rows, output type by output type, interleaved: COPY, export,
COPY (the COPY's figure is the mean of the two around the export)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

from bench.config import BenchConfig, asyncpg_dsn
from bench.export_jobs import (
    catalogues,
    copy_rows,
    create_export,
    drop_export,
    run_export,
    tables_of,
)
from dmi_api.config import Settings
from dmi_api.db import create_engine, create_sessionmaker
from dmi_api.services.export_files import remove


def output_types() -> dict[str, list[str]]:
    """Every output type of each format, read at run time (the list grows)."""
    return {export_format: list(sources) for export_format, sources in catalogues().items()}


def _row(
    export_format: str,
    name: str,
    status: str,
    resources: int,
    seconds: float,
    copies: list[tuple[int, float]],
) -> dict[str, Any]:
    copy_rows_ = sum(rows for rows, _ in copies) / len(copies)
    copy_seconds = sum(s for _, s in copies) / len(copies)
    return {
        "format": export_format,
        "type": name,
        "status": status,
        "resources": resources,
        "seconds": round(seconds, 3),
        "copy_rows": round(copy_rows_),
        "copy_seconds": round(copy_seconds, 3),
    }


def rates(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Resources a second of the export and rows a second of COPY over `rows`, and their ratio."""
    seconds = sum(row["seconds"] for row in rows)
    copy_seconds = sum(row["copy_seconds"] for row in rows)
    rate = sum(row["resources"] for row in rows) / seconds if seconds else 0.0
    copy_rate = sum(row["copy_rows"] for row in rows) / copy_seconds if copy_seconds else 0.0
    return {
        "rate": round(rate, 1),
        "copy_rate": round(copy_rate, 1),
        "ratio": round(rate / copy_rate, 3) if copy_rate else 0.0,
    }


async def measure(
    config: BenchConfig,
    clinic_id: uuid.UUID,
    export_dir: Path,
    types: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """One row per output type (all of them unless `types`): the export's resources and
    seconds, COPY's rows and seconds."""
    owner_dsn, app_dsn = asyncpg_dsn(config.owner_url), asyncpg_dsn(config.app_url)
    settings = Settings(database_url=config.app_url, export_dir=str(export_dir))
    engine = create_engine(settings, long_running=True)  # one engine, as a worker keeps
    sessionmaker = create_sessionmaker(engine)
    sink = export_dir / "copy.ndjson"
    rows = []
    try:
        for export_format, names in (types or output_types()).items():
            for name in names:
                tables = tables_of(export_format, name)
                copies = [await copy_rows(app_dsn, clinic_id, tables, sink)]
                export_id = await create_export(owner_dsn, clinic_id, export_format, [name])
                try:
                    status, seconds = await run_export(sessionmaker, settings, clinic_id, export_id)
                finally:
                    resources = await drop_export(owner_dsn, clinic_id, export_id)
                    remove(str(export_dir), clinic_id, export_id)
                copies.append(await copy_rows(app_dsn, clinic_id, tables, sink))
                row = _row(export_format, name, status, resources, seconds, copies)
                rows.append(row)
                _progress(row)
    finally:
        await engine.dispose()
    return rows


def _progress(row: dict[str, Any]) -> None:
    figures = rates([row])
    print(
        f"  {row['format']:<4} {row['type']:<24} {row['resources']:>9,} in {row['seconds']:7.2f} s"
        f"  {figures['rate']:>9,.0f}/s  COPY {figures['copy_rate']:>10,.0f} rows/s"
        f"  ratio {figures['ratio']:.3f}  {row['status']}",
        file=sys.stderr,
        flush=True,
    )
