"""One queued export run in a process of its own, as `dmi-api worker` runs it, and its memory
(`python -m bench.export_worker --database-url URL --export-dir DIR --clinic ID --export ID`).

Prints a JSON line `{"ready": ...}` just before the export starts and one with its status,
seconds, resident set size before it (MB) and the process's peak (`VmHWM`) at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from typing import Any

from bench.export_jobs import run_export, vm_mb
from dmi_api.config import Settings
from dmi_api.db import create_engine, create_sessionmaker
from dmi_api.workers.priority import lower_priority


async def _run(settings: Settings, clinic_id: uuid.UUID, export_id: uuid.UUID) -> dict[str, Any]:
    engine = create_engine(settings, long_running=True)
    try:
        before = vm_mb("VmRSS")
        print(json.dumps({"ready": True, "rss_mb": before}), flush=True)
        status, seconds = await run_export(
            create_sessionmaker(engine), settings, clinic_id, export_id
        )
    finally:
        await engine.dispose()
    return {
        "status": status,
        "seconds": round(seconds, 2),
        "rss_before_mb": before,
        "rss_end_mb": vm_mb("VmRSS"),
        "peak_rss_mb": vm_mb("VmHWM"),
    }


def main() -> None:
    """Run the export named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="the app role's SQLAlchemy URL")
    parser.add_argument("--export-dir", required=True)
    parser.add_argument("--clinic", type=uuid.UUID, required=True)
    parser.add_argument("--export", type=uuid.UUID, required=True)
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url, export_dir=args.export_dir)
    lower_priority(settings.worker_nice)  # as `dmi-api worker` runs (a session of its own)
    print(json.dumps(asyncio.run(_run(settings, args.clinic, args.export))), flush=True)


if __name__ == "__main__":
    main()
