"""Drive load with wrk (a separate process) and read the JSON line the Lua `done()` prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

from bench.config import WRK_DIR, BenchConfig

MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class WrkResult:
    """One wrk run as `done()` reported it (latencies in ms)."""

    requests: int
    duration_s: float
    non_2xx: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float

    @property
    def rps(self) -> float:
        """Successful responses per second (error responses are not throughput)."""
        return (self.requests - self.non_2xx) / self.duration_s if self.duration_s else 0.0

    @property
    def socket_errors(self) -> int:
        """Connect, read and write errors and timeouts."""
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    def as_json(self) -> dict[str, Any]:
        """The figures, req/s included."""
        return {**asdict(self), "rps": round(self.rps, 1), "socket_errors": self.socket_errors}


def wrk_binary() -> str:
    """The wrk executable (`make bench` installs it with apt when missing)."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (make bench does this)")
    return path


def run_wrk(
    config: BenchConfig, script: str, url: str, duration: float, env: dict[str, str]
) -> WrkResult:
    """Run `bench/wrk/<script>.lua` against `url` for `duration` seconds."""
    command = [
        wrk_binary(),
        f"--threads={config.threads}",
        f"--connections={config.connections}",
        f"--duration={duration:g}s",
        f"--timeout={config.wrk_timeout:g}s",
        f"--script={WRK_DIR / script}.lua",
        url,
    ]
    run_env = {
        **os.environ,
        **env,
        "BENCH_WRK_DIR": str(WRK_DIR),
        "BENCH_THREADS": str(config.threads),
    }
    done = subprocess.run(  # noqa: S603
        command, env=run_env, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            return WrkResult(**json.loads(line[len(MARKER) :]))
    raise RuntimeError(f"wrk {script} failed ({done.returncode}): {done.stderr or done.stdout}")


def warm_and_measure(config: BenchConfig, script: str, url: str, env: dict[str, str]) -> WrkResult:
    """A warm-up run (discarded), then the measured run."""
    if config.warmup > 0:
        run_wrk(config, script, url, config.warmup, env)
    return run_wrk(config, script, url, config.duration, env)
