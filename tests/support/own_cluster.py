"""Run a command on a throwaway PostgreSQL cluster of its own, then delete the cluster:
`python -m tests.support.own_cluster [--cwd DIR] -- COMMAND...` (`make test-client`).

Why: the served app's change feed and webhook dispatch show only what lies below the server's
oldest running transaction (`models/events.py`), whatever its database. The rest of the suite
runs each test in a transaction, some of them tens of seconds long on a busy machine, and the
Python client's tests, which wait 20 to 30 s for an event or a delivery, failed when they shared
the server with it. On a cluster of its own the client's lane runs beside the others.

`DMI_TEST_DATABASE_URL` set (a server chosen on purpose), or no `initdb` on this machine: the
command runs on the suite's server as it would without this, and a line says so.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from tests.support.pg_server import (
    ENV_VAR,
    _find_binaries,
    _start_cluster,
    stop_pg_server,
)


def main(argv: list[str]) -> int:
    """Start the cluster, run the command with `DMI_TEST_DATABASE_URL` naming it, stop it."""
    parser = argparse.ArgumentParser(prog="own_cluster", description=__doc__)
    parser.add_argument("--cwd", default=None, help="the directory to run the command in")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    binaries = _find_binaries()
    if ENV_VAR in os.environ or binaries is None:
        reason = f"{ENV_VAR} is set" if ENV_VAR in os.environ else "no initdb on this machine"
        print(f"own_cluster: {reason}: running on the suite's PostgreSQL server", flush=True)
        return subprocess.call(command, cwd=args.cwd)
    server = _start_cluster(*binaries)
    try:
        env = {**os.environ, ENV_VAR: server.admin_url}
        return subprocess.call(command, cwd=args.cwd, env=env)
    finally:
        stop_pg_server(server)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
