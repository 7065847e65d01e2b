"""`--compare-variants`: the API against itself with hand-made machinery swapped for the library's.

The API as built and each variant of `bench/variants.py` run side by side on the same database.
For each scenario a variant serves: ours, each variant, ours, each variant in reverse order,
..., ours (`--variant-rounds` rounds). A variant's ratio is the median over the rounds of its
req/s against the mean of the two runs of ours around it (the mean of all its runs over the
mean of all of ours is kept too). The machinery pays when ours serves at least 10 % more than
the library: the geometric mean of ours / variant over the scenarios it serves is >= 1.10.

A variant named `commit:REV` is the API as of another commit (its `src/` exported with
`git archive` under `bench/.state/commits/`, served through `PYTHONPATH` on the same database,
migrated to this checkout's head): the code before a change, side by side with it.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.config import REPO_DIR, STATE_DIR, BenchConfig
from bench.scenarios import SCENARIOS, Inputs, Scenario, fetch_token, write_inputs
from bench.seed import ensure_seeded
from bench.servers import Server, start_api
from bench.wrk import WrkResult, warm_and_measure, wrk_binary

OURS = "ours"
ALL = tuple(s.name for s in SCENARIOS)
# The variant, its factory, the machinery it replaces and the scenarios that machinery serves
# (fast_params plans only GET /v1/children and GET /v1/children/{id}: `python -m bench.variants`).
VARIANTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "asyncpg_pool": (
        "bench.variants:create_app_asyncpg_pool",
        "direct/connection_pool.py",
        ALL,
    ),
    "no_fast_params": (
        "bench.variants:create_app_without_fast_params",
        "http/fast_params.py",
        ("get_child", "list_children"),
    ),
    # Not machinery to pay for but a cost to bound: ours (rate limited) >= 0.90 of this.
    "no_rate_limits": (
        "bench.variants_rate_limits:create_app_without_rate_limits",
        "rate_limits/ (the whole of it)",
        ("get_child",),
    ),
    "rate_limits_per_request": (
        "bench.variants_rate_limits:create_app_rate_limits_per_request",
        "rate_limits/leases.py",
        ("get_child",),
    ),
}
MIN_GAIN = 0.10
# Variants without a feature rather than with the library's machinery: ours may be slower than
# them by at most this much (issue 18: rate limits cost at most 10 % of get_child).
COSTS = frozenset({"no_rate_limits"})
MAX_COST = 0.10
COMMIT = "commit:"


def variant_of(name: str) -> tuple[str, str, tuple[str, ...]]:
    """A variant's factory, what it replaces and the scenarios it serves."""
    if name.startswith(COMMIT):
        return "dmi_api.app:create_app", f"the code at {name[len(COMMIT) :]}", ALL
    return VARIANTS[name]


def exported_source(name: str) -> Path | None:
    """For `commit:REV`, the directory holding that commit's `dmi_api` package."""
    if not name.startswith(COMMIT):
        return None
    rev = subprocess.run(  # noqa: S603
        ["git", "rev-parse", "--verify", f"{name[len(COMMIT) :]}^{{commit}}"],  # noqa: S607
        cwd=REPO_DIR,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    target = STATE_DIR / "commits" / rev
    if not (target / "src" / "dmi_api").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(  # noqa: S603
            ["git", "archive", rev, "src"],  # noqa: S607
            cwd=REPO_DIR,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)  # noqa: S603, S607
    return target / "src"


def _measure(
    config: BenchConfig,
    name: str,
    server: Server,
    scenario: Scenario,
    marker: dict[str, Any],
    inputs: Inputs,
) -> WrkResult:
    fetch_token(server.base_url, marker, inputs)
    result = warm_and_measure(config, scenario.name, server.base_url, inputs.env(scenario))
    print(
        f"  {scenario.name:<20} {name:<15} {result.rps:>8.1f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms  non-2xx {result.non_2xx}",
        file=sys.stderr,
        flush=True,
    )
    return result


def _summary(runs: list[WrkResult]) -> dict[str, Any]:
    return {
        "rps": round(statistics.mean(r.rps for r in runs), 1),
        "p50_ms": round(statistics.mean(r.p50_ms for r in runs), 2),
        "p99_ms": round(statistics.mean(r.p99_ms for r in runs), 2),
        "non_2xx": sum(r.non_2xx for r in runs),
        "runs": [r.as_json() for r in runs],
    }


def _scenario_rows(
    config: BenchConfig,
    servers: dict[str, Server],
    marker: dict[str, Any],
    inputs: Inputs,
    scenario: Scenario,
    rounds: int,
) -> dict[str, Any] | None:
    serving = [name for name in servers if name != OURS and scenario.name in variant_of(name)[2]]
    if not serving:
        return None
    runs: dict[str, list[WrkResult]] = {name: [] for name in (OURS, *serving)}
    order = [OURS]
    for round_ in range(rounds):
        order += [*(serving if round_ % 2 == 0 else reversed(serving)), OURS]
    for name in order:
        runs[name].append(_measure(config, name, servers[name], scenario, marker, inputs))
    ours = _summary(runs[OURS])
    row: dict[str, Any] = {"scenario": scenario.name, "order": order, OURS: ours}
    for name in serving:
        variant = _summary(runs[name])
        variant["ratio_of_means"] = round(variant["rps"] / ours["rps"], 3) if ours["rps"] else 0.0
        # Round r's run against the mean of ours just before and after it: the median of these
        # is what is reported (one run caught by a burst of other load moves it least).
        paired = [
            run.rps / ((runs[OURS][r].rps + runs[OURS][r + 1].rps) / 2)
            for r, run in enumerate(runs[name])
        ]
        variant["paired_ratios"] = [round(p, 3) for p in paired]
        variant["ratio"] = round(statistics.median(paired), 3)
        row[name] = variant
    return row


def verdicts(rows: list[dict[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    """Per variant: ours' gain over it per scenario (ours / variant - 1), the geometric mean of
    those gains, and whether the hand-made machinery pays (mean gain >= 10 %)."""
    found = {}
    for name in names:
        gains = {
            row["scenario"]: round(1 / row[name]["ratio"] - 1, 3)
            for row in rows
            if name in row and row[name]["ratio"]
        }
        if not gains:
            continue
        mean = statistics.geometric_mean(1 + g for g in gains.values()) - 1
        found[name] = {
            "machinery": variant_of(name)[1],
            "gains": gains,
            "mean_gain": round(mean, 3),
            "pays": mean >= MIN_GAIN,
        }
    return found


def markdown(rows: list[dict[str, Any]], names: list[str]) -> str:
    """One line per scenario and variant: ours, the variant, the variant/ours ratio."""
    lines = [
        "| scenario | variant | ours req/s | p50 ms | p99 ms | variant req/s | p50 ms | p99 ms "
        "| variant/ours |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ours = row[OURS]
        for name in names:
            if name in row:
                v = row[name]
                lines.append(
                    f"| {row['scenario']} | {name} | {ours['rps']:.0f} | {ours['p50_ms']:.1f} "
                    f"| {ours['p99_ms']:.1f} | {v['rps']:.0f} | {v['p50_ms']:.1f} "
                    f"| {v['p99_ms']:.1f} | {v['ratio']:.2f} |"
                )
    return "\n".join(lines)


def run_compare_variants(
    config: BenchConfig, names: list[str], chosen: list[Scenario], *, rounds: int, save: bool
) -> None:
    """Serve ours and each variant, measure interleaved, print and save the ratios."""
    wrk_binary()
    marker = asyncio.run(ensure_seeded(config))
    inputs = asyncio.run(write_inputs(config, marker))
    servers: dict[str, Server] = {}
    try:
        servers[OURS] = start_api(config)
        for name in names:
            servers[name] = start_api(
                config, variant_of(name)[0], name.replace(":", "-"), exported_source(name)
            )
        for server in servers.values():
            server.wait_ready("/readyz")
        print(f"measuring {', '.join(servers)}: {rounds} round(s)", file=sys.stderr)
        rows = [
            row
            for scenario in chosen
            if (row := _scenario_rows(config, servers, marker, inputs, scenario, rounds))
        ]
        rss = {name: list(server.worker_rss_mb().values()) for name, server in servers.items()}
        problems = {name: server.log_problems() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    found = verdicts(rows, names)
    print("\n" + markdown(rows, names))
    for name, verdict in found.items():
        gains = ", ".join(f"{s} {g:+.0%}" for s, g in verdict["gains"].items())
        decision = "keep it" if verdict["pays"] else "use the library"
        if name.startswith(COMMIT):
            decision = "ours is faster" if verdict["mean_gain"] > 0 else "ours is not faster"
        if name in COSTS:
            # ours against the app without the feature: what the feature costs, bounded.
            cost = -verdict["mean_gain"]
            decision = f"costs {cost:.1%} of throughput (at most {MAX_COST:.0%}: " + (
                "met)" if cost <= MAX_COST else "missed)"
            )
        print(
            f"\n{verdict['machinery']} against {name}: ours gains {gains}; "
            f"mean {verdict['mean_gain']:+.1%} -> {decision}"
        )
    print(f"worker RSS after the runs (MB): {rss}")
    for name, seen in problems.items():
        if seen["distinct"]:
            print(f"{name} server log: {seen['lines']} lines: {list(seen['distinct'])[:5]}")
    if save:
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            **report.commit(),
            "machine": report.machine(asyncio.run(report.postgres_version(config))),
            "config": {k: v for k, v in vars(config).items() if k != "database_url"},
            "seed": {k: marker[k] for k in ("scale", "counts", "seed_seconds", "seeded_at")},
            "compare_variants": {
                "variants": {name: variant_of(name)[0] for name in names},
                "rounds": rounds,
                "rows": rows,
                "verdicts": found,
            },
            "worker_rss_mb": rss,
            "server_log": problems,
        }
        print(f"results written to {report.save(result)}")
    if any(row[name]["non_2xx"] for row in rows for name in (OURS, *names) if name in row):
        sys.exit(1)
