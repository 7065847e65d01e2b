#!/usr/bin/env python3
"""The image's HEALTHCHECK (installed as /usr/local/bin/docker-healthcheck).

A container that serves the API (`serve`, the default command) is healthy while `GET /healthz`
answers on its port (`serve --port N`, else DMI_PORT, else 8000). Any other command (`worker`,
a one-off `migrate`) serves no HTTP: it is the container's main process, so the container is
healthy while it runs (it stops with it). Which command runs: the container's first process's
arguments (/proc/1/cmdline; a test passes another file as the only argument).
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def _arguments(cmdline: Path) -> list[str]:
    return [a.decode(errors="replace") for a in cmdline.read_bytes().split(b"\0") if a]


def _port(arguments: list[str]) -> str:
    for i, argument in enumerate(arguments):
        if argument == "--port" and i + 1 < len(arguments):
            return arguments[i + 1]
        if argument.startswith("--port="):
            return argument.removeprefix("--port=")
    return os.environ.get("DMI_PORT", "8000")


def main() -> int:
    """0 when healthy, 1 when not (Docker's HEALTHCHECK convention)."""
    cmdline = Path(sys.argv[1] if len(sys.argv) > 1 else "/proc/1/cmdline")
    arguments = _arguments(cmdline)
    if "serve" not in arguments:
        return 0
    url = f"http://127.0.0.1:{_port(arguments)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
