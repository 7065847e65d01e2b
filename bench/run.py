"""`make bench`: seed once, serve the API and the baseline, interleave the wrk runs, report.

Order: baseline, scenario 1, baseline, scenario 2, ..., baseline. Each scenario's ratio is to
the mean of the two baseline runs around it: absolute figures drift between runs minutes apart.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from bench import compare, compare_variants, export, report, webhooks
from bench.config import BenchConfig
from bench.scenarios import BASELINE, SCENARIOS, Inputs, Scenario, fetch_token, write_inputs
from bench.seed import ensure_seeded
from bench.servers import TOKEN_LIFETIME_SECONDS, Server, start_api, start_baseline
from bench.wrk import WrkResult, warm_and_measure, wrk_binary


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _measure(config: BenchConfig, server: Server, scenario: Scenario, inputs: Inputs) -> WrkResult:
    result = warm_and_measure(config, scenario.name, server.base_url, inputs.env(scenario))
    print(
        f"  {scenario.name:<20} {result.rps:>9.1f} req/s  p50 {result.p50_ms:7.2f} ms  "
        f"p99 {result.p99_ms:7.2f} ms  non-2xx {result.non_2xx}  socket errors "
        f"{result.socket_errors}",
        file=sys.stderr,
        flush=True,
    )
    return result


def _status(result: WrkResult) -> str:
    if result.non_2xx:
        return f"FAILED: {result.non_2xx} non-2xx"
    return f"socket errors: {result.socket_errors}" if result.socket_errors else "ok"


def _row(
    scenario: Scenario, result: WrkResult, before: WrkResult, after: WrkResult
) -> dict[str, Any]:
    baseline_rps = (before.rps + after.rps) / 2
    return {
        "scenario": scenario.name,
        **result.as_json(),
        "baseline_rps": round(baseline_rps, 1),
        "ratio": round(result.rps / baseline_rps, 3) if baseline_rps else 0.0,
        "status": _status(result),
    }


def _interleaved(
    config: BenchConfig,
    api: Server,
    baseline: Server,
    marker: dict[str, Any],
    inputs: Inputs,
    chosen: list[Scenario],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    baselines = [_measure(config, baseline, BASELINE, inputs)]
    rows = []
    for scenario in chosen:
        fetch_token(api.base_url, marker, inputs)  # tokens live 300 s: one per scenario
        result = _measure(config, api, scenario, inputs)
        baselines.append(_measure(config, baseline, BASELINE, inputs))
        rows.append(_row(scenario, result, baselines[-2], baselines[-1]))
    return rows, [b.as_json() for b in baselines]


def run_suite(config: BenchConfig, chosen: list[Scenario], *, reseed: bool, save: bool) -> None:
    """The whole benchmark at one scale."""
    wrk_binary()
    marker = asyncio.run(ensure_seeded(config, force=reseed))
    inputs = asyncio.run(write_inputs(config, marker))
    first_child = (inputs.directory / "children.txt").read_text().split()[0]
    servers: list[Server] = []
    try:
        api = start_api(config)
        servers.append(api)
        baseline = start_baseline(config, marker["clinic_id"])
        servers.append(baseline)
        api.wait_ready("/readyz")
        baseline.wait_ready(f"/children/{first_child}")
        shape = f"{config.connections} connections, {config.threads} wrk threads"
        runs = f"{config.duration:g} s runs after {config.warmup:g} s warm-ups"
        print(f"measuring: {runs}, {shape}", file=sys.stderr)
        rows, baselines = _interleaved(config, api, baseline, marker, inputs, chosen)
        rss = {"api": api.worker_rss_mb(), "baseline": baseline.worker_rss_mb()}
        problems = {"api": api.log_problems(), "baseline": baseline.log_problems()}
    finally:
        for server in servers:
            server.stop()
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **report.commit(),
        "machine": report.machine(asyncio.run(report.postgres_version(config))),
        "config": {k: v for k, v in vars(config).items() if k != "database_url"},
        "seed": {k: marker[k] for k in ("scale", "counts", "seed_seconds", "seeded_at")},
        "scenarios": rows,
        "baseline_runs": baselines,
        "worker_rss_mb": {name: list(sizes.values()) for name, sizes in rss.items()},
        "server_log": problems,
    }
    print()
    report.print_table(rows)
    baseline_rps = ", ".join(f"{b['rps']:.0f}" for b in baselines)
    print(f"\nbaseline runs (req/s): {baseline_rps}")
    print(f"worker RSS after the run (MB): API {rss['api']}, baseline {rss['baseline']}")
    for line in report.target_checks(rows, rss):
        print("  " + line)
    for name, found in problems.items():
        if found["distinct"]:
            print(f"\n{name} server log: {found['lines']} lines")
            for key, count in sorted(found["distinct"].items(), key=lambda kv: -kv[1])[:10]:
                print(f"  {count:>7} x {key}")
    print("\nMarkdown for bench/README.md:\n" + report.markdown(result))
    if save:
        print(f"\nresults written to {report.save(result)}")
    if any(row["non_2xx"] for row in rows):
        sys.exit(1)


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, help="children to seed (BENCH_SCALE, 10000)")
    parser.add_argument(
        "--duration", type=float, help="seconds per measured run (BENCH_DURATION, 10)"
    )
    parser.add_argument(
        "--warmup", type=float, help="seconds of warm-up before each (BENCH_WARMUP, 3)"
    )
    parser.add_argument("--connections", type=int, help="wrk connections (BENCH_CONNECTIONS, 32)")
    parser.add_argument("--threads", type=int, help="wrk threads (BENCH_THREADS, 2)")
    parser.add_argument("--scenarios", help="comma-separated subset, e.g. get_child,post_session")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/*.json")
    parser.add_argument(
        "--compare-scale",
        type=int,
        nargs="?",
        const=1_000_000,
        metavar="N",
        help="list_children p50 at the default scale against N children (1000000)",
    )
    parser.add_argument(
        "--compare-variants",
        nargs="?",
        const=",".join(compare_variants.VARIANTS),
        metavar="NAMES",
        help="ours against the library's machinery side by side (bench/variants.py): "
        f"{', '.join(compare_variants.VARIANTS)}; commit:REV serves the code of REV",
    )
    parser.add_argument(
        "--variant-rounds", type=int, default=1, help="variant runs per scenario (1)"
    )
    parser.add_argument(
        "--webhooks",
        action="store_true",
        help="POST under load with two workers delivering every event to a local receiver",
    )
    parser.add_argument(
        "--export",
        type=int,
        nargs="?",
        const=export.EXPORT_CHILDREN,
        metavar="N",
        help="bulk export: rate against COPY, worker RSS on a clinic of N children (1000000), "
        "API latency while it runs",
    )
    args = parser.parse_args()
    config = BenchConfig.from_env()
    overrides = {
        "scale": args.scale,
        "duration": args.duration,
        "warmup": args.warmup,
        "connections": args.connections,
        "threads": args.threads,
    }
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    if config.warmup + config.duration > TOKEN_LIFETIME_SECONDS - 30:
        parser.error(f"warm-up + duration must stay under {TOKEN_LIFETIME_SECONDS - 30} s")
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    names = args.scenarios.split(",") if args.scenarios else [s.name for s in SCENARIOS]
    unknown = set(names) - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    chosen = [s for s in SCENARIOS if s.name in names]
    if args.webhooks:
        webhooks.run_webhooks(config, save=not args.no_save)
    elif args.export is not None:
        if args.export < 1:
            parser.error("--export N needs at least one child")
        export.run_export_bench(config, args.export, save=not args.no_save)
    elif args.compare_scale:
        compare.run_compare(config, args.compare_scale, save=not args.no_save)
    elif args.compare_variants:
        variants = args.compare_variants.split(",")
        unknown = {v for v in variants if not v.startswith(compare_variants.COMMIT)}
        unknown -= set(compare_variants.VARIANTS)
        if unknown:
            parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
        compare_variants.run_compare_variants(
            config, variants, chosen, rounds=args.variant_rounds, save=not args.no_save
        )
    else:
        run_suite(config, chosen, reseed=args.reseed, save=not args.no_save)
    print(f"\ndone in {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
