"""What a run prints and keeps: the table, the targets, machine and commit, a JSON file."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from bench.config import REPO_DIR, RESULTS_DIR, BenchConfig, asyncpg_dsn

# The targets: minimum ratio to the baseline, and p99 bounds in ms.
MIN_RATIO = {"get_child": 0.40, "list_children": 0.25, "post_session": 0.15}
MAX_P99_MS = {"get_child": 40.0}
MAX_RSS_MB = 200.0
MAX_SCALE_P50_RATIO = 1.5


def _git(*args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607 (read-only: rev-parse and status)
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip()


def commit() -> dict[str, Any]:
    """The checked-out commit and whether the tree had changes."""
    status = _git("status", "--porcelain")
    return {"commit": _git("rev-parse", "--short", "HEAD"), "dirty": status not in ("", "unknown")}


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


async def postgres_version(config: BenchConfig) -> str:
    """The server's version string."""
    conn = await asyncpg.connect(asyncpg_dsn(config.owner_url))
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def machine(postgres_version: str) -> dict[str, Any]:
    """The machine a result was measured on."""
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gb": _ram_gb(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": postgres_version,
    }


def target_checks(rows: list[dict[str, Any]], rss: dict[str, dict[int, float]]) -> list[str]:
    """One line per target of the issue: met or missed."""
    lines = []
    by_name = {row["scenario"]: row for row in rows}
    for name, minimum in MIN_RATIO.items():
        if name in by_name:
            ratio = by_name[name]["ratio"]
            lines.append(
                f"{name}: ratio {ratio:.2f} (target >= {minimum:.2f}) {_verdict(ratio >= minimum)}"
            )
    for name, maximum in MAX_P99_MS.items():
        if name in by_name:
            p99 = by_name[name]["p99_ms"]
            lines.append(
                f"{name}: p99 {p99:.1f} ms (target < {maximum:.0f} ms) {_verdict(p99 < maximum)}"
            )
    api_rss = list(rss.get("api", {}).values())
    if api_rss:
        worst = max(api_rss)
        lines.append(
            f"API worker RSS: max {worst:.0f} MB (target < {MAX_RSS_MB:.0f} MB) "
            + _verdict(worst < MAX_RSS_MB)
        )
    return lines


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def print_table(rows: list[dict[str, Any]]) -> None:
    """The scenarios, one line each, baseline ratios included."""
    header = (
        f"{'scenario':<20} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} "
        f"{'baseline':>9} {'non-2xx':>8} {'sock err':>8}  status"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['scenario']:<20} {row['rps']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['ratio']:>6.2f} {row['baseline_rps']:>9.1f} {row['non_2xx']:>8} "
            f"{row['socket_errors']:>8}  {row['status']}"
        )


def markdown(result: dict[str, Any]) -> str:
    """A table to paste into bench/README.md's Results section."""
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | ratio to baseline | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in result["scenarios"]:
        lines.append(
            f"| {row['scenario']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['ratio']:.2f} | {row['non_2xx']} |"
        )
    return "\n".join(lines)


def save(result: dict[str, Any]) -> Path:
    """Write the result to bench/results/<UTC timestamp>.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
