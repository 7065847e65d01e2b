"""The `dmi-api` command: serve, migrate, worker, openapi (the others: cli_admin, cli_demo)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import ipaddress
import json
import logging.config
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dmi_api.config import ConfigurationError, Settings, load_settings
from dmi_api.security.key_crypto import KeyDecryptionError

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")
# How long `serve` waits for requests in flight after SIGTERM, and `worker` for its webhook
# calls in flight (a container's stop grace period must be longer: docker-compose.yml).
GRACEFUL_SHUTDOWN_SECONDS = 20


def render_openapi(settings: Settings) -> str:
    """The app's OpenAPI document as committed (stable formatting, trailing newline)."""
    from dmi_api.app import create_app  # the app is heavy; only this command needs it

    return json.dumps(create_app(settings).openapi(), indent=2, ensure_ascii=False) + "\n"


def export_dir_problem(export_dir: str) -> str | None:
    """Why `DMI_EXPORT_DIR` cannot take an export's files (None: it can). Checked at start, not
    created: the nearest existing directory of the path must be one this process may write in."""
    path = Path(export_dir).absolute()
    existing = next(p for p in (path, *path.parents) if p.exists())
    if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
        return None
    return f"DMI_EXPORT_DIR: {export_dir} is not a directory this process can write in or create"


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from dmi_api.logging_config import logging_config
    from dmi_api.migrate import upgrade_to_head

    if (problem := export_dir_problem(settings.export_dir)) is not None:
        print(f"dmi-api: {problem}", file=sys.stderr)
        return 2
    if settings.is_sqlite:
        # The embedded default keeps itself current; PostgreSQL is migrated by `dmi-api migrate`.
        upgrade_to_head(settings.migration_database_url_value, settings.db_app_role)
        if settings.env == "development":
            _offer_demo(settings, args.host or settings.host, args.port or settings.port)
    uvicorn.run(
        "dmi_api.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        log_config=logging_config(settings.log_level),
        access_log=False,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    return 0


def _offer_demo(settings: Settings, host: str, port: int) -> None:
    """The demo client, printed once, when serving this machine alone. Reachable beyond it (the
    Docker image serves every interface), a client with every scope and its secret in the
    container's log is no default to leave there: one line says how to make a client."""
    if _is_loopback(host):
        shown = f"[{host}]" if ":" in host else host
        _print_demo_credentials(settings, f"http://{shown}:{port}")
        return
    print(
        f"dmi-api: serving on {host}, beyond this machine: no demo client is made; "
        "make a client with `dmi-api clinics create` and `dmi-api clients create`, or "
        "`dmi-api demo` for a demo one.",
        file=sys.stderr,
        flush=True,
    )


def _is_loopback(host: str) -> bool:
    """Whether `host` serves this machine alone (`localhost`, 127.0.0.0/8, `::1`)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _print_demo_credentials(settings: Settings, base_url: str) -> None:
    from dmi_api.cli_admin import create_demo_tenant

    demo = asyncio.run(create_demo_tenant(settings))
    if demo is None:
        return
    # Printed once, to the operator's terminal (not the log): the database keeps only a hash.
    print(
        "\nEmpty database: created a demo clinic and an API client with every scope.\n"
        f"  clinic_id:     {demo['clinic_id']}\n"
        f"  client_id:     {demo['client_id']}\n"
        f"  client_secret: {demo['client_secret']}   (shown once; `dmi-api demo` makes a new one)\n"
        "Get a token:\n"
        f"  curl -s -u '{demo['client_id']}:{demo['client_secret']}' "
        f"-d grant_type=client_credentials {base_url}/oauth/token\n"
        "For the README's First calls:\n"
        f"  export DMI_URL={base_url} CLIENT_ID={demo['client_id']} "
        f"CLIENT_SECRET={demo['client_secret']}\n",
        file=sys.stderr,
        flush=True,
    )


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    from dmi_api.migrate import upgrade_to_head

    upgrade_to_head(settings.migration_database_url_value, settings.db_app_role)
    print("database migrated to head", file=sys.stderr)
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from dmi_api.logging_config import logging_config
    from dmi_api.workers.priority import lower_priority
    from dmi_api.workers.queue import run_worker

    if settings.is_sqlite:
        print(
            "dmi-api worker needs PostgreSQL; `dmi-api serve` delivers on SQLite", file=sys.stderr
        )
        return 2
    if (problem := export_dir_problem(settings.export_dir)) is not None:
        print(f"dmi-api: {problem}", file=sys.stderr)
        return 2
    logging.config.dictConfig(logging_config(settings.log_level))
    # Below the API on a shared host: an export's CPU never starves the requests being served.
    lowered = lower_priority(settings.worker_nice)
    logging.getLogger("dmi_api.worker").info(
        "CPU niceness %s of the %s", settings.worker_nice, lowered
    )
    # What exists now (modules) lives as long as the process: out of the cyclic collector's
    # sight, so that its full passes stay short while exports allocate millions of objects (as
    # the API does at start-up).
    gc.collect()
    gc.freeze()
    # SIGTERM and SIGINT stop it gracefully once it runs (`run_worker`); a Ctrl-C before: quietly.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run_worker(
                settings, concurrency=args.concurrency, grace_seconds=GRACEFUL_SHUTDOWN_SECONDS
            )
        )
    return 0


def _openapi(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.output
    document = render_openapi(settings)
    if args.check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != document:
            print(f"{path} differs from the app's schema; run `dmi-api openapi`", file=sys.stderr)
            return 1
        print(f"{path} matches the app's schema", file=sys.stderr)
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer from `low` to `high` (the bounds of its `DMI_*` setting)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return value

    return parse


def _address(text: str) -> str:
    """An argparse type: a bind address, never empty (uvicorn listens everywhere on "")."""
    if not text.strip() or text != text.strip():
        raise argparse.ArgumentTypeError("an address, e.g. 127.0.0.1 or 0.0.0.0 (not empty)")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="dmi-api",
        description="dmi-api: serve the API, migrate its database, run its job worker, and "
        "manage clinics, API clients and signing keys.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", type=_address, help="bind address (DMI_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=_bounded(1, 65_535), help="port (DMI_PORT, default 8000)")
    serve.add_argument(
        "--workers", type=_bounded(1, 64), help="worker processes (DMI_WORKERS, default 1)"
    )
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database to the newest schema")
    migrate.set_defaults(handler=_migrate)

    what = "run the jobs: webhook deliveries, bulk exports, upkeep (PostgreSQL)"
    worker = commands.add_parser(
        "worker",
        help=what,
        description=f"{what}. SIGTERM or SIGINT stops it gracefully: no new jobs, running "
        "exports handed back to the queue, webhook calls in flight finished and recorded for "
        f"up to {GRACEFUL_SHUTDOWN_SECONDS} s.",
    )
    worker.add_argument(
        "--concurrency",
        type=_bounded(1, 1_000),
        default=10,
        help="jobs run at once by this process (at least 2; default 10); exports among them "
        "at most DMI_EXPORT_CONCURRENCY; a delivery job hands its call to the process's 20 "
        "connections, where DMI_WEBHOOK_CLINIC_CALLS bounds each clinic",
    )
    worker.set_defaults(handler=_worker)

    openapi = commands.add_parser("openapi", help="write or check openapi/openapi.json")
    openapi.add_argument("--output", type=Path, default=DEFAULT_OPENAPI_PATH)
    openapi.add_argument("--check", action="store_true", help="exit 1 when the file differs")
    openapi.set_defaults(handler=_openapi)

    from dmi_api.cli_admin import add_admin_commands
    from dmi_api.cli_demo import add_demo_command

    add_admin_commands(commands)
    add_demo_command(commands)
    return parser


def database_failure(exc: BaseException) -> str | None:
    """One line for a database a command cannot use (unreachable, refused, not migrated); None
    for any other failure. Never the statement or its values: only the driver's reason."""
    from sqlalchemy import exc as sa_exc

    from dmi_api.db import UNAVAILABLE_SQLSTATE_PREFIXES, is_database_unavailable, is_schema_behind

    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        return database_failure(exc.exceptions[0])
    if isinstance(exc, OSError) and exc.filename is not None:
        return None  # a file's (`openapi --output`), not the database's
    cause = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    sqlstate = str(getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None) or "")
    reason = (str(cause).splitlines() or [""])[0]
    if is_schema_behind(exc):
        return "the database's schema is missing or older than this version: run `dmi-api migrate`"
    if sqlstate == "42501":  # insufficient_privilege: the service role, not the owner
        return (
            f"the database refused this role ({type(cause).__name__}: {reason}): migrations "
            "and the operators' commands run as the tables' owner, DMI_MIGRATION_DATABASE_URL"
        )
    # Connection, resources, shutdown (also as the bare driver raises them, under the worker's
    # job library); a refused login (28) or a missing database (3D).
    if is_database_unavailable(exc) or sqlstate.startswith(
        ("28", "3D", *UNAVAILABLE_SQLSTATE_PREFIXES)
    ):
        return f"cannot use the database ({type(cause).__name__}: {reason})"
    return None


def _migration_refusal(exc: BaseException) -> str | None:
    """One line for a migration that stopped before changing anything (rows it cannot carry
    over); None for any other failure."""
    from dmi_api.migration_ops import MigrationRefusedError

    if isinstance(exc, MigrationRefusedError):
        return f"the migration stopped, nothing changed: {exc}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"dmi-api: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command in ("clinics", "clients", "assessments", "sessions", "keys", "demo"):
            from dmi_api.cli_admin import run_admin

            return run_admin(args.handler, args, settings)
        code: int = args.handler(args, settings)
    except ConfigurationError as exc:
        # Found while running: the app group role a migration would grant to (DMI_DB_APP_ROLE).
        print(f"dmi-api: {exc}", file=sys.stderr)
        return 2
    except KeyDecryptionError:
        # `keys rotate` checks first: a key published under another secret would fail every
        # server's token endpoint and JWKS once it signed.
        print(
            "dmi-api: DMI_SECRET_KEY does not decrypt the signing keys in the database: it is "
            "not the servers' secret; nothing changed",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        if exc.filename is None:
            message = database_failure(exc)
            if message is None:
                raise
        else:  # a file's (`openapi --output`), not the database's
            message = f"{exc.filename}: {exc.strerror or type(exc).__name__}"
        print(f"dmi-api: {message}", file=sys.stderr)
        return 1
    except Exception as exc:
        message = database_failure(exc) or _migration_refusal(exc)
        if message is None:
            raise
        print(f"dmi-api: {message}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
