"""The `dmi` command, for scripts: credentials from the environment (`DMI_URL`,
`DMI_CLIENT_ID`, `DMI_CLIENT_SECRET` or `DMI_PRIVATE_KEY` + `DMI_KEY_ID`).

    dmi export --since 2026-01-01T00:00:00Z --type children --type session_records --out DIR
    dmi children list --updated-since 2026-01-01T00:00:00Z --format csv > children.csv
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import httpx
from pydantic import ValidationError

from dmi_api_client import models
from dmi_api_client.client import DmiClient
from dmi_api_client.config import ConfigError
from dmi_api_client.errors import DmiError
from dmi_api_client.tabular import write_csv, write_ndjson


def instant(text: str) -> datetime:
    """An ISO 8601 instant; a date alone is midnight UTC; a time zone is required."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}") from None
    if value.tzinfo is None:
        if len(text) == 10:  # YYYY-MM-DD
            return value.replace(tzinfo=UTC)
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2026-01-01T00:00:00Z")
    return value


def known_values(annotation: Any) -> list[str]:
    """The values a field's `Literal` spells out (the models read answers' enums open:
    `Literal[...] | str`)."""
    parts = get_args(annotation) if get_origin(annotation) is not Literal else (annotation,)
    return [value for part in parts if get_origin(part) is Literal for value in get_args(part)]


def _types(values: Sequence[str] | None) -> list[str] | None:
    if not values:
        return None
    return [t.strip() for value in values for t in value.split(",") if t.strip()]


def _export(args: argparse.Namespace, dmi: DmiClient) -> int:
    progress = args.progress  # None: on a terminal only
    if args.fhir:
        manifest, files = dmi.exports.fhir(
            args.out,
            types=_types(args.type),
            since=args.since,
            progress=progress,
            max_wait=args.timeout,
        )
        summary: dict[str, Any] = {"transaction_time": manifest.get("transactionTime")}
    else:
        export, files = dmi.exports.run(
            args.out,
            resources=_types(args.type),
            since=args.since,
            progress=progress,
            max_wait=args.timeout,
        )
        summary = {"export_id": str(export.id), "transaction_time": export.transaction_time}
    summary["files"] = [
        {"type": f.type, "path": str(f.path), "count": f.count, "deleted": f.deleted} for f in files
    ]
    print(json.dumps(summary, default=str))
    return 0


def _children_list(args: argparse.Namespace, dmi: DmiClient) -> int:
    rows = dmi.children.list(
        updated_since=args.updated_since, status=args.status, limit=args.page_size
    )
    if args.format == "csv":
        count = write_csv(rows, models.ChildPublic, sys.stdout)
    else:
        count = write_ndjson(rows, sys.stdout)
    print(f"{count} children", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dmi", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser("export", help="bulk export into a directory of NDJSON files")
    export.add_argument("--since", type=instant, help="only what changed after this instant")
    export.add_argument(
        "--type",
        action="append",
        metavar="TYPE",
        help="a resource (children, session_records, ...; FHIR: Patient, ...); repeat or use "
        "commas; all when left out",
    )
    export.add_argument("--out", type=Path, required=True, help="the directory to write into")
    export.add_argument("--fhir", action="store_true", help="FHIR Bulk Data $export instead")
    export.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait at most")
    bar = export.add_mutually_exclusive_group()
    bar.add_argument("--progress", action="store_true", default=None, help="always show bars")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="never")
    export.set_defaults(handler=_export)

    children = commands.add_parser("children", help="children").add_subparsers(
        dest="action", required=True
    )
    listing = children.add_parser("list", help="list children (every page) to stdout")
    listing.add_argument(
        "--updated-since", type=instant, help="changed at or after (tombstones too)"
    )
    statuses = known_values(models.ChildPublic.model_fields["status"].annotation)
    listing.add_argument("--status", choices=statuses)
    listing.add_argument("--format", choices=["ndjson", "csv"], default="ndjson")
    listing.add_argument("--page-size", type=int, default=200, help="rows per request (1-200)")
    listing.set_defaults(handler=_children_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: 0 on success, 1 when the API refused, 2 on usage."""
    args = build_parser().parse_args(argv)
    try:
        with DmiClient.from_env() as dmi:
            code: int = args.handler(args, dmi)
            return code
    except ConfigError as exc:
        print(f"dmi: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"dmi: invalid input: {reasons}", file=sys.stderr)
        return 2
    except DmiError as exc:
        print(f"dmi: {exc}", file=sys.stderr)
        return 1
    except httpx.TransportError as exc:
        print(f"dmi: cannot reach the API ({type(exc).__name__})", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `dmi children list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
