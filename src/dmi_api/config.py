"""Settings: one pydantic-settings class, read from `DMI_*` environment variables."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./dmi.db"
# Well known on purpose: a development secret is public, so production refuses it.
DEVELOPMENT_SECRET_KEY = "dmi-development-secret-key-not-for-production"  # noqa: S105
MIN_PRODUCTION_SECRET_LENGTH = 32
MAX_TOKEN_LIFETIME_SECONDS = 900
_ORIGIN = re.compile(r"https?://[^/?#\s]+")


class ConfigurationError(RuntimeError):
    """The settings cannot be used in the selected profile."""


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="DMI_", extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)

    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=5, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    # A request's statements fail fast (503) on a hung or locked database; work that is
    # long by nature (a `dmi-api worker`'s exports) runs on an engine with the long timeout
    # (`db.create_engine(settings, long_running=True)`).
    db_statement_timeout_ms: int = Field(default=2_500, ge=100, le=600_000)
    db_lock_timeout_ms: int = Field(default=2_000, ge=100, le=600_000)
    db_long_statement_timeout_ms: int = Field(default=60_000, ge=100, le=3_600_000)
    # The share of a pool one route may hold at once: a route stuck on a locked table leaves
    # the rest of the pool to the others.
    db_route_pool_share: float = Field(default=0.9, gt=0, le=1)
    readyz_timeout_seconds: float = Field(default=1.5, gt=0, le=10)
    db_retry_after_seconds: int = Field(default=2, ge=1, le=300)
    # Direct reads (PostgreSQL): the hot read endpoints as one statement on a pool of their own.
    direct_reads: bool = True
    direct_pool_size: int = Field(default=10, ge=1, le=200)
    # Whether a read waits for its audit event to reach the disk (see README: "Audit of reads").
    durable_read_audit: bool = False

    migration_database_url: SecretStr | None = None
    # The database's NOLOGIN group role that migrations grant to (default `<database>_app`).
    db_app_role: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")

    issuer: str = "http://127.0.0.1:8000"
    token_audience: str = "dmi-api"  # noqa: S105 (an audience, not a password)
    token_lifetime_seconds: int = Field(default=300, ge=60, le=MAX_TOKEN_LIFETIME_SECONDS)
    token_leeway_seconds: int = Field(default=30, ge=0, le=120)
    signing_key_refresh_seconds: int = Field(default=60, ge=1, le=3600)
    auth_max_failures: int = Field(default=5, ge=1, le=1000)
    auth_failure_window_seconds: int = Field(default=300, ge=1, le=86_400)
    auth_lockout_seconds: int = Field(default=60, ge=1, le=86_400)
    # Token requests a minute from one source address (an IPv6 peer by its /64), counted before
    # any secret is checked: each check is a slow hash, so a flood must not buy unbounded CPU.
    token_requests_per_minute: int = Field(default=300, ge=1, le=100_000_000)

    # Rate limits (README: "Rate limits"): each client's quota in cost units per 60 s (a read
    # costs 1, a write 5, a batch upload 50, an export kick-off 100), unless the client has its
    # own (`rate_limit_per_minute`). The counters live in Redis when `redis_url` is set (what
    # several workers or replicas need), else in the process.
    rate_limit_per_minute: int = Field(default=1_200, ge=1, le=100_000_000)
    redis_url: SecretStr | None = None
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=10)

    max_body_bytes: int = Field(default=1_048_576, ge=1_024, le=64 * 1_048_576)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Never empty: uvicorn takes "" as every interface, IPv4 and IPv6.
    host: str = Field(default="127.0.0.1", pattern=r"^\S+$")
    port: int = Field(default=8000, ge=1, le=65_535)
    workers: int = Field(default=1, ge=1, le=64)
    forwarded_allow_ips: str = "127.0.0.1"

    # Webhooks (README: "Outbound safety"): development may deliver to a receiver on this host
    # (http:// and the loopback addresses 127.0.0.0/8 and ::1, nothing else); production refuses it.
    webhook_allow_loopback: bool = Field(
        default=False,
        description="Allow webhook URLs on loopback (http:// and 127.0.0.0/8, ::1); "
        "development only, refused by the production profile.",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        ge=1,
        le=30,
        description="Seconds one delivery may take in all (connect, send, answer); a claimed "
        "delivery's lease is this + 5 s, after which another worker attempts it again.",
    )
    # A worker's calls of one clinic at once (`workers.clinic_calls`): a clinic whose receiver
    # hangs holds at most these of the worker's 20 connections; the others' calls go out.
    webhook_clinic_calls: int = Field(
        default=4,
        ge=1,
        le=20,
        description="Webhook calls of one clinic a worker makes at once (the others of the "
        "clinic wait their turn), 1-20 (the worker's connections).",
    )
    event_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days an event is kept for webhook delivery and listing before it is purged.",
    )

    # Bulk exports (README: "Bulk export"): where their files are written (every replica and
    # worker must see the same directory: a shared volume), how long they are kept, and the
    # size past which a resource type's output is split into another file.
    export_dir: str = Field(
        default="./exports",
        min_length=1,
        description="Directory of bulk export files, shared by every API replica and worker.",
    )
    export_expiry_hours: int = Field(default=24, ge=1, le=720)
    # Exports one `dmi-api worker` process runs at once; more wait in the queue for a worker with
    # room (each holds a connection of the worker's long-work pool and one reading its rows).
    export_concurrency: int = Field(default=2, ge=1, le=32)
    # `dmi-api worker` runs at this CPU niceness (0-19), and so does its session when it leads
    # one (`workers.priority`): on a host it shares with the API, the requests keep the CPU while
    # an export runs (bench/README.md, "Bulk export", runs 75-78).
    worker_nice: int = Field(default=10, ge=0, le=19)
    export_file_max_bytes: int = Field(default=256 * 1_048_576, ge=1_024, le=1 << 40)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard_origin(cls, value: list[str]) -> list[str]:
        # Browsers never need a wildcard for a health API; a typo must not open it to every site.
        if "*" in value:
            raise ValueError("a wildcard CORS origin is not allowed; list the origins")
        # What a browser sends in `Origin`, compared as is: no path, no trailing slash.
        if any(not _ORIGIN.fullmatch(origin) for origin in value):
            raise ValueError("each origin is scheme://host[:port], without a path or a final /")
        return value

    @model_validator(mode="after")
    def _production_is_hardened(self) -> Settings:
        if self.env != "production":
            return self
        problems: list[str] = []
        if self.is_sqlite:
            problems.append("DMI_DATABASE_URL must point at PostgreSQL (not SQLite)")
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET_KEY or len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
            problems.append(
                f"DMI_SECRET_KEY must be set to a random value of at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters"
            )
        if not self.issuer.startswith("https://"):
            problems.append("DMI_ISSUER must be the service's public https:// URL")
        if self.webhook_allow_loopback:
            problems.append(
                "DMI_WEBHOOK_ALLOW_LOOPBACK must be false (webhooks reach public hosts only)"
            )
        if problems:
            raise ValueError("production profile refused: " + "; ".join(problems))
        return self

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        # uvicorn keeps what it cannot read as an address or network as a literal name, which
        # no peer's address ever equals: a typo would trust no proxy, silently.
        if value.strip() == "*":
            return value
        for entry in (item.strip() for item in value.split(",")):
            if not entry:
                continue
            try:
                if "/" in entry:
                    ipaddress.ip_network(entry)  # strict: 10.0.0.1/24 is not a network
                else:
                    ipaddress.ip_address(entry)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (10.0.0.0/8, not 10.0.0.1/8); "
                    "'*' trusts every proxy, alone"
                ) from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ValueError("DMI_REDIS_URL must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _database_url_is_usable(cls, value: SecretStr | None) -> SecretStr | None:
        # At start, not at the first connection: a wrong scheme or a malformed URL would
        # otherwise fail deep in the engine (a traceback, in every worker process).
        if value is None:
            return value
        try:
            url = make_url(value.get_secret_value())
            usable = url.drivername in ("postgresql+asyncpg", "sqlite+aiosqlite")
        except (ArgumentError, ValueError):  # not a URL, or a port that is not a number
            usable = False
        if not usable:
            raise ValueError("must be a postgresql+asyncpg:// or sqlite+aiosqlite:// URL")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_is_a_base_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or value.endswith("/"):
            raise ValueError("issuer must be an http(s) URL without a trailing slash")
        return value

    @property
    def token_url(self) -> str:
        """The token endpoint's URL: the audience of client assertions."""
        return f"{self.issuer}/oauth/token"

    @property
    def migration_database_url_value(self) -> str:
        """The URL migrations run with (the tables' owner); defaults to the app's URL."""
        url = self.migration_database_url or self.database_url
        return url.get_secret_value()

    @property
    def database_url_value(self) -> str:
        """The database URL, secret included (hand it only to the engine)."""
        return self.database_url.get_secret_value()

    @property
    def redis_url_value(self) -> str | None:
        """The Redis URL, password included (hand it only to the rate limit store)."""
        return None if self.redis_url is None else self.redis_url.get_secret_value()

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite file."""
        return self.database_url_value.startswith("sqlite")


def load_settings() -> Settings:
    """Read the settings, turning a validation failure into a message free of secret values."""
    try:
        return Settings()
    except ValidationError as exc:
        # pydantic's own message echoes the inputs, database password included: name fields only,
        # each as the variable the operator set (DMI_PORT, not port).
        prefix = str(Settings.model_config.get("env_prefix", ""))
        reasons = []
        for error in exc.errors(include_input=False, include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            name = f"{prefix}{field}".upper() if field in Settings.model_fields else "settings"
            reason = str(error["msg"]).removeprefix("Value error, ")
            reasons.append(f"{name}: {reason}")
        raise ConfigurationError("invalid configuration: " + "; ".join(reasons)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return load_settings()
