"""`--export [N]` (issue 16): bulk export throughput against `COPY`, the export worker's memory
on a clinic of N children (1,000,000), and the API's latency while an export runs, in one run.

1. On the bench data set (`dmi_bench`), every FHIR and `/v1` output type exported in process by
   the app's `ExportRun` (`export_throughput.py`), each between two `COPY`s of its tables;
2. a FHIR `Patient` export of the export clinic in a process of its own, its peak RSS, while
   `get_child` is measured (saturated and paced), `get_child` alone before and after
   (`export_load.py`).
Export files live in a temporary directory removed at the end; export rows are deleted.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import export_load, export_throughput, report
from bench.config import BenchConfig, asyncpg_dsn
from bench.export_clinic import ensure_export_clinic
from bench.seed import ensure_seeded

EXPORT_CHILDREN = 1_000_000
# The targets: resources a second over COPY's rows a second; worker RSS; latency.
MIN_RATIO = {"fhir": 0.30, "v1": 0.50}
MAX_WORKER_RSS_MB = 250.0
MAX_LATENCY_RATIO = 1.5


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def summary(result: dict[str, Any]) -> list[str]:
    """The targets, met or missed, one line each."""
    lines = []
    for export_format, minimum in MIN_RATIO.items():
        figures = result["totals"][export_format]
        lines.append(
            f"{export_format} export: {figures['rate']:,.0f} resources/s, COPY "
            f"{figures['copy_rate']:,.0f} rows/s: ratio {figures['ratio']:.3f} (target >= "
            f"{minimum:.2f}) {_verdict(figures['ratio'] >= minimum)}; time ratio "
            f"{figures['time_ratio']:.3f}"
        )
    load = result["load"]
    worker = load["worker"]
    lines.append(
        f"export worker, {worker['resources']:,} Patients in {worker['seconds']:.1f} s "
        f"({worker['rate']:,.0f}/s): RSS {worker['rss_before_mb']:.0f} MB before, peak "
        f"{worker['peak_rss_mb']:.0f} MB (target < {MAX_WORKER_RSS_MB:.0f} MB) "
        f"{_verdict(worker['peak_rss_mb'] < MAX_WORKER_RSS_MB)}"
    )
    for mode in export_load.MODES:
        runs = load[mode]["runs"]
        for quantile in ("p50", "p99"):
            ratio = load[mode][f"{quantile}_ratio"]
            alone = [runs[name][f"{quantile}_ms"] for name in ("alone", "after")]
            lines.append(
                f"{load['scenario']} {mode} {quantile}: {runs['during'][f'{quantile}_ms']:.2f} "
                f"ms during the export, {alone[0]:.2f} / {alone[1]:.2f} ms alone: {ratio:.2f}x "
                f"(target <= {MAX_LATENCY_RATIO}x) {_verdict(ratio <= MAX_LATENCY_RATIO)}"
            )
    control = load["paced"]["control"]
    lines.append(
        f"{load['scenario']} paced beside a busy loop at the worker's priority, no export "
        f"(control): p50 {control['p50_ratio']:.2f}x, p99 {control['p99_ratio']:.2f}x"
    )
    if not worker["overlapped"]:
        lines.append("  (the export ended before the measured run did: more children needed)")
    return lines


def markdown(result: dict[str, Any]) -> str:
    """The per-type table for bench/README.md."""
    lines = [
        "| format | type | resources | s | resources/s | COPY rows | COPY rows/s | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["types"]:
        figures = export_throughput.rates([row])
        lines.append(
            f"| {row['format']} | {row['type']} | {row['resources']:,} | {row['seconds']:.2f} "
            f"| {figures['rate']:,.0f} | {row['copy_rows']:,} | {figures['copy_rate']:,.0f} "
            f"| {figures['ratio']:.3f} |"
        )
    for export_format, figures in result["totals"].items():
        lines.append(
            f"| **{export_format}** | all | | | **{figures['rate']:,.0f}** | | "
            f"**{figures['copy_rate']:,.0f}** | **{figures['ratio']:.3f}** |"
        )
    return "\n".join(lines)


def _totals(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    totals = {}
    for export_format in MIN_RATIO:
        chosen = [row for row in rows if row["format"] == export_format]
        seconds = sum(row["seconds"] for row in chosen)
        copy_seconds = sum(row["copy_seconds"] for row in chosen)
        totals[export_format] = {
            **export_throughput.rates(chosen),
            # Rows a second against COPY's, the same rows: COPY's time over the export's.
            "time_ratio": round(copy_seconds / seconds, 3) if seconds else 0.0,
        }
    return totals


def run_export_bench(config: BenchConfig, children: int, *, save: bool) -> None:
    """The whole `--export` scenario, printed and saved."""
    marker = asyncio.run(ensure_seeded(config))
    export_clinic = asyncio.run(ensure_export_clinic(asyncpg_dsn(config.owner_url), children))
    export_dir = Path(tempfile.mkdtemp(prefix="dmi-bench-export-"))
    try:
        print("export throughput (in process), against COPY of the same rows:", file=sys.stderr)
        rows = asyncio.run(
            export_throughput.measure(config, uuid.UUID(marker["clinic_id"]), export_dir)
        )
        print(f"export of {children:,} Patients in a worker process:", file=sys.stderr)
        load = export_load.measure(config, marker, export_clinic, export_dir)
    finally:
        shutil.rmtree(export_dir, ignore_errors=True)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report.commit(),
        "machine": report.machine(asyncio.run(report.postgres_version(config))),
        "config": {k: v for k, v in vars(config).items() if k != "database_url"},
        "export": {
            "children": children,
            "types": rows,
            "totals": _totals(rows),
            "load": load,
        },
    }
    print("\n" + markdown(result["export"]) + "\n")
    for line in summary(result["export"]):
        print("  " + line)
    if save:
        print(f"\nresults written to {report.save(result)}")
    failed = [row["type"] for row in rows if row["status"] != "completed"]
    if failed or load["worker"]["status"] != "completed" or load["non_2xx"]:
        print(f"FAILED: exports {failed or '-'}, non-2xx {load['non_2xx']}", file=sys.stderr)
        sys.exit(1)
