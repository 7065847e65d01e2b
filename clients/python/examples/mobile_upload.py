"""A mobile app's backend uploading a week of home-practice logs recorded offline, through
the batch endpoint (up to 100 records a request). Each log's key is its device id: upload the
same file again (after a timeout, say) and every record is replayed, none created twice. The
server keeps a key 24 hours: keep the ids it answers with, and do not upload a file again days
later (each of its records would be created again).

    python mobile_upload.py logs.json     # [{"log_id", "child_id", "started_at", "minutes", ...}]
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from dmi_api_client import AsyncDmiClient, batch_item, models


async def upload(logs: list[dict[str, Any]]) -> int:
    items = [
        batch_item(
            models.SessionRecordCreate(
                child_id=log["child_id"],
                type="home_practice",
                setting="home",
                started_at=log["started_at"],
                duration_minutes=log["minutes"],
                caregiver_present=True,
            ),
            idempotency_key=f"device-log-{log['log_id']}",
        )
        for log in logs
    ]
    async with AsyncDmiClient.from_env() as dmi:
        results = await dmi.session_records.batch(items)
    refused = 0
    for log, result in zip(logs, results, strict=True):
        if result.status == 201:
            print(f"{log['log_id']}: {'replayed' if result.replayed else 'created'} {result.id}")
        else:
            refused += 1
            problem = result.problem or {}
            fields = "; ".join(f"{e['pointer']} {e['detail']}" for e in problem.get("errors") or [])
            print(f"{log['log_id']}: refused {result.status} {problem.get('title', '')} {fields}")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(upload(json.loads(Path(sys.argv[1]).read_text()))))
