"""`--compare-scale N`: list_children p50 at the default scale against N children.

Both databases stay seeded (`dmi_bench` and `dmi_bench_<N>`); both APIs run side by side and the
runs alternate small, large, small: the large p50 is compared with the mean of the two small ones.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

from bench import report
from bench.config import DEFAULT_SCALE, BenchConfig
from bench.scenarios import SCENARIOS, fetch_token, write_inputs
from bench.seed import ensure_seeded
from bench.servers import Server, start_api
from bench.wrk import WrkResult, warm_and_measure

LIST = next(s for s in SCENARIOS if s.name == "list_children")


def _measure(config: BenchConfig, server: Server, marker: dict[str, Any]) -> WrkResult:
    inputs = asyncio.run(write_inputs(config, marker))
    fetch_token(server.base_url, marker, inputs)
    result = warm_and_measure(config, LIST.name, server.base_url, inputs.env(LIST))
    print(
        f"  {config.scale:>9,} children: p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
        f"  {result.rps:8.1f} req/s  non-2xx {result.non_2xx}",
        file=sys.stderr,
        flush=True,
    )
    return result


def run_compare(config: BenchConfig, large: int, *, save: bool) -> None:
    """Seed both scales if needed, measure small, large, small, and print the p50 ratio."""
    small_config = config.with_scale(DEFAULT_SCALE if config.scale == large else config.scale)
    large_config = config.with_scale(large)
    small_marker = asyncio.run(ensure_seeded(small_config))
    large_marker = asyncio.run(ensure_seeded(large_config))
    servers: list[Server] = []
    try:
        servers = [start_api(small_config), start_api(large_config)]
        for server in servers:
            server.wait_ready("/readyz")
        runs = [
            _measure(small_config, servers[0], small_marker),
            _measure(large_config, servers[1], large_marker),
            _measure(small_config, servers[0], small_marker),
        ]
    finally:
        for server in servers:
            server.stop()
    small_p50 = (runs[0].p50_ms + runs[2].p50_ms) / 2
    ratio = runs[1].p50_ms / small_p50 if small_p50 else 0.0
    met = "met" if ratio <= report.MAX_SCALE_P50_RATIO else "MISSED"
    print(
        f"\nlist_children p50: {small_config.scale:,} children {small_p50:.2f} ms, "
        f"{large:,} children {runs[1].p50_ms:.2f} ms: {ratio:.2f}x "
        f"(target <= {report.MAX_SCALE_P50_RATIO}x) {met}"
    )
    if save:
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            **report.commit(),
            "machine": report.machine(asyncio.run(report.postgres_version(config))),
            "compare_scale": {
                "small_scale": small_config.scale,
                "large_scale": large,
                "runs": [run.as_json() for run in runs],
                "small_p50_ms": round(small_p50, 3),
                "large_p50_ms": runs[1].p50_ms,
                "p50_ratio": round(ratio, 3),
            },
        }
        print(f"results written to {report.save(result)}")
