"""The bulk load: rows generated in Python, written by COPY from one process per core."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import asyncpg  # type: ignore[import-untyped]

from bench import seed_children, seed_library, seed_records
from bench.seed_common import ClinicPlan, Row

BATCH = 2_000  # children per round of COPY statements
RANDOM_SEED = 20_251_124
TABLES = (
    "practitioner",
    "exercise",
    "child",
    "prescription",
    "prescription_item",
    "milestone",
    "session_record",
    "assessment",
)
Counts = dict[str, int]


async def _connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    # A bulk load of consistent rows as the owner: skip the per-row foreign-key triggers and the
    # wait for each commit's WAL flush.
    await conn.execute("SET session_replication_role = replica")
    await conn.execute("SET synchronous_commit = off")
    return conn


async def _copy_all(
    conn: asyncpg.Connection, batches: list[tuple[str, list[str], list[Row]]], counts: Counts
) -> None:
    for table, columns, rows in batches:
        await conn.copy_records_to_table(table, records=rows, columns=columns)
        counts[table] += len(rows)


async def _children(dsn: str, plan: ClinicPlan, first: int, last: int, worker: int) -> Counts:
    rng = random.Random(RANDOM_SEED + worker)  # noqa: S311 (test data, not secrets)
    pools = seed_records.make_pools(plan, rng)
    counts = dict.fromkeys(TABLES, 0)
    conn = await _connect(dsn)
    started, reported = time.monotonic(), time.monotonic()
    try:
        for start in range(first, last, BATCH):
            kids, plans = seed_children.children(plan, rng, start, min(BATCH, last - start))
            sessions, assessments = seed_records.records(plan, rng, pools, plans)
            batches = [
                ("child", seed_children.CHILD_COLUMNS, kids.child),
                ("prescription", seed_children.PRESCRIPTION_COLUMNS, kids.prescription),
                ("prescription_item", seed_children.ITEM_COLUMNS, kids.prescription_item),
                ("milestone", seed_children.MILESTONE_COLUMNS, kids.milestone),
                ("session_record", seed_records.SESSION_COLUMNS, sessions),
                ("assessment", seed_records.ASSESSMENT_COLUMNS, assessments),
            ]
            await _copy_all(conn, batches, counts)
            if time.monotonic() - reported > 30:
                reported = time.monotonic()
                done = start + len(plans) - first
                rate = done / (reported - started)
                eta = (last - first - done) / rate
                print(
                    f"  worker {worker}: {done:,}/{last - first:,} children, "
                    f"{rate:,.0f}/s, eta {eta:,.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        await conn.close()
    return counts


def _worker(dsn: str, plan: ClinicPlan, first: int, last: int, worker: int) -> Counts:
    return asyncio.run(_children(dsn, plan, first, last, worker))


async def seed_clinic(dsn: str, plan: ClinicPlan, scale: int, jobs: int | None = None) -> Counts:
    """Write the clinic's library, then `scale` children and their records; the row counts."""
    rng = random.Random(RANDOM_SEED)  # noqa: S311 (test data, not secrets)
    counts = dict.fromkeys(TABLES, 0)
    conn = await _connect(dsn)
    try:
        library = [
            (
                "practitioner",
                seed_library.PRACTITIONER_COLUMNS,
                seed_library.practitioners(plan, rng),
            ),
            ("exercise", seed_library.EXERCISE_COLUMNS, seed_library.exercises(plan, rng)),
        ]
        await _copy_all(conn, library, counts)
    finally:
        await conn.close()
    jobs = max(1, min(jobs or os.cpu_count() or 1, scale // BATCH or 1))
    bounds = [scale * n // jobs for n in range(jobs + 1)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        parts = await asyncio.gather(
            *(
                loop.run_in_executor(pool, _worker, dsn, plan, bounds[n], bounds[n + 1], n)
                for n in range(jobs)
            )
        )
    for part in parts:
        for table, count in part.items():
            counts[table] += count
    return counts


async def vacuum_analyze(dsn: str) -> None:
    """Fresh statistics and visibility maps, as a database in service has, and a checkpoint so
    that the first measured run does not pay for flushing the load."""
    conn = await asyncpg.connect(dsn)
    try:
        for table in TABLES:
            await conn.execute(f"VACUUM (ANALYZE) {table}")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
