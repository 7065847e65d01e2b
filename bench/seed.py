"""Seed one clinic with realistic volume by COPY, once per scale (`python -m bench.seed`).

Per child: 20 session records over the last 2 years (3-10 exercises each), 5 assessments, 3
milestones, 1 prescription with 3 items. The clinic has 20 practitioners and 60 exercises. What
was seeded is recorded in `bench/.state/<database>/seed.json`; a later run at the same scale
finds it (and the rows) and skips seeding.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from bench import database, seed_copy
from bench.config import BenchConfig, asyncpg_dsn
from bench.seed_common import ClinicPlan


async def _seed(
    config: BenchConfig, credentials: dict[str, str], jobs: int | None
) -> dict[str, Any]:
    plan = ClinicPlan(clinic_id=uuid.UUID(credentials["clinic_id"]))
    dsn = asyncpg_dsn(config.owner_url)
    started = time.monotonic()
    counts = await seed_copy.seed_clinic(dsn, plan, config.scale, jobs)
    print(f"  rows written in {time.monotonic() - started:.1f} s; vacuum analyze", file=sys.stderr)
    await seed_copy.vacuum_analyze(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        post_child = await conn.fetchval(
            "SELECT id FROM child WHERE clinic_id = $1 AND external_id = 'MRN-00000000'",
            plan.clinic_id,
        )
    finally:
        await conn.close()
    return {
        "counts": counts,
        "post_child_id": str(post_child),
        "practitioner_id": str(plan.practitioner_ids[0]),
        "exercise_ids": [str(e) for e in plan.exercise_ids[:10]],
    }


# What the seed writes, numbered: a database seeded by an older seed is seeded again. 2: session
# records carry `documents_form`, as the app's writes do.
SEED_FORM = 2


def marker_path(config: BenchConfig) -> Path:
    """Where the seed marker of this scale's database is kept."""
    return config.state_dir / "seed.json"


def read_marker(config: BenchConfig) -> dict[str, Any] | None:
    """The marker of a completed seed at this scale, if any."""
    path = marker_path(config)
    if not path.is_file():
        return None
    marker: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if marker.get("scale") != config.scale or marker.get("seed_form") != SEED_FORM:
        return None
    return marker


async def _marker_matches_database(config: BenchConfig, marker: dict[str, Any]) -> bool:
    if not await database.database_exists(config):
        return False
    conn = await asyncpg.connect(asyncpg_dsn(config.owner_url))
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM child WHERE clinic_id = $1", uuid.UUID(marker["clinic_id"])
        )
    except asyncpg.PostgresError:
        return False
    finally:
        await conn.close()
    return bool(found >= config.scale)


async def ensure_seeded(
    config: BenchConfig, *, force: bool = False, jobs: int | None = None
) -> dict[str, Any]:
    """The seed marker of this scale's database, seeding it first when needed."""
    marker = read_marker(config)
    if marker and not force and await _marker_matches_database(config, marker):
        print(
            f"{config.database_name}: seeded already ({config.scale:,} children)", file=sys.stderr
        )
        database.migrate(config)
        await database.ensure_app_role(config)
        return marker
    print(f"{config.database_name}: seeding {config.scale:,} children", file=sys.stderr)
    started = time.monotonic()
    marker_path(config).unlink(missing_ok=True)
    await database.recreate_database(config, drop=await database.database_exists(config))
    database.migrate(config)
    await database.ensure_app_role(config)
    credentials = database.create_clinic_and_client(config)
    seeded = await _seed(config, credentials, jobs)
    marker = {
        "database": config.database_name,
        "scale": config.scale,
        "seed_form": SEED_FORM,
        **credentials,
        **seeded,
        "seed_seconds": round(time.monotonic() - started, 1),
        "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    config.state_dir.mkdir(parents=True, exist_ok=True)
    marker_path(config).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    print(
        f"{config.database_name}: seeded in {marker['seed_seconds']} s: {marker['counts']}",
        file=sys.stderr,
    )
    return marker


def main() -> None:
    """`python -m bench.seed [--scale N] [--force]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, help="number of children (default BENCH_SCALE, 10000)")
    parser.add_argument("--force", action="store_true", help="drop and seed again")
    parser.add_argument("--jobs", type=int, help="seeding processes (default: one per core)")
    args = parser.parse_args()
    config = BenchConfig.from_env()
    if args.scale:
        config = config.with_scale(args.scale)
    asyncio.run(ensure_seeded(config, force=args.force, jobs=args.jobs))


if __name__ == "__main__":
    main()
