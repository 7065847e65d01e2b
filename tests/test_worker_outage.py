"""`dmi-api worker` losing its database while it runs: it stops with one line and exit 1 (its
supervisor starts it again), never a traceback in the JSON log stream."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy.engine import make_url

from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres_only

ROOT = Path(__file__).resolve().parents[1]


async def test_a_worker_that_loses_its_database_says_so_in_one_line(
    proxy: TcpProxy, database_url: str, tmp_path: Path
) -> None:
    """It ended in a 60-line traceback of pgqueuer's dequeue ('asyncpg.exceptions.
    InterfaceError: connection is closed'), the only lines of its log that were not JSON."""
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")} | {
        "DMI_DATABASE_URL": url.render_as_string(hide_password=False),
        "DMI_EXPORT_DIR": str(tmp_path),
        "DMI_WORKER_NICE": "0",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    worker = _start_worker(env)
    try:
        assert worker.stderr is not None
        started = await asyncio.wait_for(
            asyncio.to_thread(_line_with, worker.stderr, "worker started"), timeout=60
        )
        assert started
        await proxy.cut()
        # pgqueuer notices when it next fetches: at the latest its dequeue timeout (30 s) later.
        _, rest = await asyncio.to_thread(worker.communicate, timeout=90)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate(timeout=10)
    assert worker.returncode == 1, rest
    assert "Traceback" not in rest
    lines = rest.splitlines()
    assert lines, rest
    assert all(line.startswith("{") for line in lines[:-1]), rest
    assert lines[-1].startswith("dmi-api: cannot use the database"), rest


def _start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dmi_api.cli", "worker"], env=env, stderr=subprocess.PIPE, text=True
    )


def _line_with(stream: IO[str], text: str) -> bool:
    """Read the stream until a line holds `text` (False: it ended first)."""
    return any(text in line for line in stream)
