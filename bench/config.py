"""Benchmark settings: environment knobs (`BENCH_*`) with the defaults of the issue."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import make_url

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
STATE_DIR = BENCH_DIR / ".state"
RESULTS_DIR = BENCH_DIR / "results"
WRK_DIR = BENCH_DIR / "wrk"
VENV_BIN = REPO_DIR / ".venv" / "bin"

DEFAULT_SCALE = 10_000
DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/dmi_bench"
APP_ROLE = "dmi_bench_app"
APP_PASSWORD = "dmi-bench-app"  # noqa: S105 (a local benchmark role, not a secret)
# The API counts its rate limits in Redis, as several workers need; one client drives a whole
# run, so its quota is set past what it asks (what is measured is the counting, not a refusal).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
RATE_LIMIT_PER_MINUTE = 100_000_000
SECRET_KEY = "dmi-bench-secret-key-0123456789abcdef-not-for-production"  # noqa: S105


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


@dataclass(frozen=True)
class BenchConfig:
    """Everything a run needs; `from_env` reads the knobs, the CLI may override them."""

    database_url: str  # the tables' owner (a superuser): migrations and seeding
    scale: int
    duration: float
    warmup: float
    connections: int
    threads: int
    workers: int
    pool_size: int
    max_overflow: int
    log_level: str
    wrk_timeout: float
    redis_url: str = DEFAULT_REDIS_URL

    @classmethod
    def from_env(cls) -> BenchConfig:
        """The configuration from `BENCH_*` environment variables."""
        return cls(
            database_url=os.environ.get("BENCH_DATABASE_URL", "") or DEFAULT_DATABASE_URL,
            scale=_env_int("BENCH_SCALE", DEFAULT_SCALE),
            duration=_env_float("BENCH_DURATION", 10.0),
            warmup=_env_float("BENCH_WARMUP", 3.0),
            connections=_env_int("BENCH_CONNECTIONS", 32),
            threads=_env_int("BENCH_THREADS", 2),
            workers=_env_int("BENCH_WORKERS", 2),
            pool_size=_env_int("BENCH_POOL_SIZE", 10),
            max_overflow=_env_int("BENCH_MAX_OVERFLOW", 5),
            log_level=os.environ.get("BENCH_LOG_LEVEL", "") or "WARNING",
            wrk_timeout=_env_float("BENCH_WRK_TIMEOUT", 5.0),
            redis_url=os.environ.get("BENCH_REDIS_URL", "") or DEFAULT_REDIS_URL,
        )

    def with_scale(self, scale: int) -> BenchConfig:
        """The same settings for another number of children."""
        return replace(self, scale=scale)

    @property
    def database_name(self) -> str:
        """`dmi_bench` at the default scale, `dmi_bench_<scale>` otherwise (both kept)."""
        base = make_url(self.database_url).database or "dmi_bench"
        return base if self.scale == DEFAULT_SCALE else f"{base}_{self.scale}"

    @property
    def owner_url(self) -> str:
        """SQLAlchemy URL of the owner on this scale's database."""
        url = make_url(self.database_url).set(database=self.database_name)
        return url.render_as_string(hide_password=False)

    @property
    def app_url(self) -> str:
        """SQLAlchemy URL of the non-superuser role the API connects as (row-level security)."""
        url = make_url(self.owner_url).set(username=APP_ROLE, password=APP_PASSWORD)
        return url.render_as_string(hide_password=False)

    @property
    def state_dir(self) -> Path:
        """Seed marker, id lists, token and logs of this scale's database."""
        return STATE_DIR / self.database_name


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """The same URL for asyncpg itself (no `+asyncpg` driver suffix)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
