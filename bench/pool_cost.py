"""CPU per pooled statement in one process: the app's `PoolSource` against asyncpg's pool.

`python -m bench.pool_cost`: 32 tasks each run `SELECT 1` through `source.connection()` (the
route share, the acquire, the clinic binding, the release) on the seeded bench database, as the
app's role; the process CPU time per statement of each source, alternated over several rounds.
A worker under load is CPU-bound: this is the pool's share of each request without wrk, the
server and the other processes of the machine in the figure.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

from pydantic import SecretStr

from bench.config import BenchConfig
from bench.variants import AsyncpgPoolSource
from dmi_api.auth.principal import Principal
from dmi_api.config import Settings
from dmi_api.direct.bound_db import PoolSource

TASKS, STATEMENTS, ROUNDS = 32, 200, 5
PRINCIPAL = Principal(
    client_id=uuid.uuid4(),
    clinic_id=uuid.uuid4(),
    scopes=frozenset(),
    token_jti="pool-cost",  # noqa: S106
)


async def _cpu_per_statement(source: Any) -> float:
    async def one_task() -> None:
        for _ in range(STATEMENTS):
            async with source.connection(PRINCIPAL) as conn:
                await conn.fetchval("SELECT 1")

    await one_task()  # open the connections, bind them
    started = time.process_time()
    await asyncio.gather(*(one_task() for _ in range(TASKS)))
    return (time.process_time() - started) / (TASKS * STATEMENTS) * 1e6


async def main() -> None:
    """Alternate the two sources and print the CPU µs per statement of each."""
    settings = Settings(database_url=SecretStr(BenchConfig.from_env().app_url))
    sources = {"ours": PoolSource(settings), "asyncpg_pool": AsyncpgPoolSource(settings)}
    found: dict[str, list[float]] = {name: [] for name in sources}
    try:
        for _ in range(ROUNDS):
            for name, source in sources.items():
                found[name].append(await _cpu_per_statement(source))
    finally:
        for source in sources.values():
            await source.close()
    for name, values in found.items():
        shown = ", ".join(f"{v:.0f}" for v in values)
        print(f"{name:<13} CPU µs per statement: median {statistics.median(values):.0f} ({shown})")
    ratio = statistics.median(found["asyncpg_pool"]) / statistics.median(found["ours"])
    print(f"asyncpg_pool / ours: {ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
