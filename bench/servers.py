"""Start the API and the baseline under uvicorn (2 workers each), wait for them, stop them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.config import (
    RATE_LIMIT_PER_MINUTE,
    REPO_DIR,
    SECRET_KEY,
    VENV_BIN,
    BenchConfig,
    asyncpg_dsn,
)
from dmi_api.logging_config import logging_config

HOST = "127.0.0.1"
TOKEN_LIFETIME_SECONDS = 900


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One uvicorn supervisor process and its workers."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]
    log_offset: int  # where this start's lines begin in the (appended) log

    @property
    def base_url(self) -> str:
        """Where it listens."""
        return f"http://{HOST}:{self.port}"

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children started by multiprocessing spawn)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and b"spawn_main" in cmdline:
                pids.append(int(entry.name))
        return sorted(pids)

    def worker_rss_mb(self) -> dict[int, float]:
        """VmRSS of each worker, in MB."""
        sizes = {}
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = round(int(line.split()[1]) / 1024, 1)
        return sizes

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        """Poll `path` until it answers 200 a few times in a row (both workers up)."""
        deadline, streak = time.monotonic() + timeout, 0
        while streak < 5:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.process.returncode}); see {self.log_path}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.name} not ready after {timeout:.0f} s; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=2) as response:  # noqa: S310
                    streak = streak + 1 if response.status == 200 else 0
            except (urllib.error.URLError, OSError):
                streak = 0
                time.sleep(0.2)

    def log_problems(self) -> dict[str, Any]:
        """Warnings and errors the server logged since it started (JSON lines or not)."""
        with self.log_path.open("rb") as log:
            log.seek(self.log_offset)
            lines = log.read().decode(errors="replace").splitlines()
        counts: dict[str, int] = {}
        for line in lines:
            try:
                entry = json.loads(line)
                key = f"{entry.get('level')} {entry.get('logger')}: {entry.get('message')}"
                key += f" ({entry['exc_type']})" if entry.get("exc_type") else ""
            except (ValueError, AttributeError):
                key = f"text: {line[:160]}"
            counts[key] = counts.get(key, 0) + 1
        return {"lines": len(lines), "distinct": counts}

    def stop(self) -> None:
        """SIGTERM to the supervisor (it stops its workers); SIGKILL to the group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def launch(name: str, command: list[str], env: dict[str, str], log_dir: Path, port: int) -> Server:
    """Start `command` in a session of its own (`stop` may signal its group), its output appended
    to `log_dir/<name>.log`; `port`: where it will listen (0: nowhere, e.g. a job worker)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("ab")
    offset = log.tell()
    process = subprocess.Popen(  # noqa: S603
        command, cwd=REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Server(name, port, process, log_path, log, offset)


def start_server(name: str, target: list[str], env: dict[str, str], config: BenchConfig) -> Server:
    port = free_port()
    log_dir = config.state_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_config = log_dir / "logging.json"
    log_config.write_text(json.dumps(logging_config(config.log_level)), encoding="utf-8")
    command = [
        str(VENV_BIN / "uvicorn"),
        *target,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(config.workers),
        "--no-access-log",
        "--no-server-header",
        "--log-level",
        config.log_level.lower(),
        "--log-config",
        str(log_config),
    ]
    return launch(name, command, env, log_dir, port)


def base_env() -> dict[str, str]:
    # The servers get only what they need: no DMI_* of the caller's shell leaks in.
    return {k: v for k, v in os.environ.items() if not k.startswith(("DMI_", "BENCH_"))}


def start_api(
    config: BenchConfig,
    factory: str = "dmi_api.app:create_app",
    name: str = "api",
    source: Path | None = None,
) -> Server:
    """The API on PostgreSQL as the non-superuser role, with the development profile; `factory`:
    another app factory (a variant of `bench/variants.py`); `source`: serve the `dmi_api` package
    found there instead of the checkout's (the code of another commit)."""
    env = {
        **base_env(),
        **({"PYTHONPATH": str(source)} if source else {}),
        "DMI_DATABASE_URL": config.app_url,
        "DMI_SECRET_KEY": SECRET_KEY,
        "DMI_DB_POOL_SIZE": str(config.pool_size),
        "DMI_DB_MAX_OVERFLOW": str(config.max_overflow),
        "DMI_LOG_LEVEL": config.log_level,
        # One token serves a whole scenario (warm-up and measured run): the longest lifetime.
        "DMI_TOKEN_LIFETIME_SECONDS": str(TOKEN_LIFETIME_SECONDS),
        "DMI_REDIS_URL": config.redis_url,
        "DMI_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
        "DMI_TOKEN_REQUESTS_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
    }
    return start_server(name, [factory, "--factory"], env, config)


def start_baseline(config: BenchConfig, clinic_id: str) -> Server:
    """The raw ASGI baseline on the same database, role and clinic."""
    env = {
        **base_env(),
        "BENCH_BASELINE_DSN": asyncpg_dsn(config.app_url),
        "BENCH_CLINIC_ID": clinic_id,
        "BENCH_BASELINE_POOL_SIZE": str(config.pool_size),
    }
    return start_server("baseline", ["bench.baseline_app:app"], env, config)
