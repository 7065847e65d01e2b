"""Nightly sync into CSV: export what changed since the last run (all of it the first time),
write the changed children to children.csv and the deleted ones to deleted.csv, and keep the
export's `transaction_time` as the next run's `since` (an export never misses a write still
in flight; a list filtered by `updated_since` could).

    DMI_URL=... DMI_CLIENT_ID=... DMI_CLIENT_SECRET=... \
        python nightly_sync_csv.py --state sync-state.json --out sync/
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import datetime
from pathlib import Path

from dmi_api_client import DmiClient, models
from dmi_api_client.tabular import write_csv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--state", type=Path, required=True, help="JSON file: where the last run ended"
    )
    parser.add_argument("--out", type=Path, required=True, help="directory of the CSV files")
    args = parser.parse_args()
    state = json.loads(args.state.read_text()) if args.state.exists() else {}
    since = datetime.fromisoformat(state["since"]) if "since" in state else None

    with DmiClient.from_env() as dmi, tempfile.TemporaryDirectory() as scratch:
        export, files = dmi.exports.run(scratch, resources=["children"], since=since)
        args.out.mkdir(parents=True, exist_ok=True)
        changed = [
            json.loads(line) for f in files if not f.deleted and f.path for line in f.path.open()
        ]
        deleted = [
            json.loads(line) for f in files if f.deleted and f.path for line in f.path.open()
        ]
        with (args.out / "children.csv").open("w", newline="") as out:
            write_csv(changed, models.ChildPublic, out)
        with (args.out / "deleted.csv").open("w", newline="") as out:
            out.write(
                "id,deleted_at\n" + "".join(f"{d['id']},{d['deleted_at']}\n" for d in deleted)
            )

    assert export.transaction_time is not None
    args.state.write_text(json.dumps({"since": export.transaction_time.isoformat()}))
    print(
        f"{len(changed)} changed, {len(deleted)} deleted; next run from {export.transaction_time}"
    )


if __name__ == "__main__":
    main()
