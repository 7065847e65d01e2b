"""`dmi-api serve` for real, as an operator starts it: uvicorn on a loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port


def serve_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its `DMI_*` variables, plus `settings`."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DMI_")} | dict(settings)


@contextmanager
def serving(
    env: Mapping[str, str],
    log_path: Path,
    *,
    port: int | None = None,
    workers: int = 1,
    ready_path: str = "/readyz",
    start_seconds: float = 60,
) -> Iterator[str]:
    """Serve with `env` until the block ends; yields the base URL once `ready_path` answers 200.

    The server's stderr (its JSON log, and what `make run` prints) goes to `log_path`; a server
    that exits or is not ready in time fails the test with the log's tail.
    """
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "dmi_api.cli", "serve", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=dict(env),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + start_seconds
            while True:
                try:
                    if httpx.get(f"{base}{ready_path}", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
