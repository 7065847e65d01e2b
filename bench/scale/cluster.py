"""The scale-out on loopback: a throwaway database, two API replicas (`dmi-api serve --workers
2`), two job workers (`dmi-api worker`), HAProxy in front of the replicas and a webhook receiver;
everything stopped, dropped and removed when the block ends, however it ends."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.config import (
    DEFAULT_SCALE,
    RATE_LIMIT_PER_MINUTE,
    SECRET_KEY,
    STATE_DIR,
    VENV_BIN,
    BenchConfig,
    asyncpg_dsn,
)
from bench.database import (
    create_clinic_and_client,
    drop_database,
    ensure_app_role,
    migrate,
    recreate_database,
)
from bench.scale import haproxy
from bench.scale.api import Credentials
from bench.scale.receiver import Receiver, running_receiver
from bench.servers import HOST, Server, base_env, free_port, launch

LOG_DIR = STATE_DIR / "scale" / "logs"  # kept after the run (git-ignored), replaced by the next
REPLICAS = ("a", "b")
WORKERS_PER_REPLICA = 2
JOB_WORKERS = 2
# Short enough that a rotated key signs within seconds (README: "Signing key rotation").
SIGNING_KEY_REFRESH_SECONDS = 2
TOKEN_LEEWAY_SECONDS = 1
# Small pools: 4 API workers and 2 job workers share the server's 100 connections with whatever
# else runs on this machine.
POOLS = {"DMI_DB_POOL_SIZE": "2", "DMI_DB_MAX_OVERFLOW": "4", "DMI_DIRECT_POOL_SIZE": "3"}


@dataclass
class Cluster:
    """What the checks reach: the replicas, the balancer, the workers, the receiver."""

    replicas: dict[str, Server]
    balancer: Server
    workers: list[Server]
    receiver: Receiver
    stats_socket: Path
    clinic_id: str
    admin: Credentials  # an all-scopes client of the clinic
    owner_dsn: str  # the tables' owner, for counting rows behind the API's back
    env: dict[str, str]  # the environment of every process, and of `dmi-api` commands

    def url(self, replica: str) -> str:
        """The base URL of replica `a` or `b`."""
        return self.replicas[replica].base_url

    @property
    def lb(self) -> str:
        """The base URL of the load balancer."""
        return self.balancer.base_url


def database_config() -> BenchConfig:
    """The bench's settings on a database of this run's own (`dmi_bench_scale_<n>`)."""
    config = replace(BenchConfig.from_env(), scale=DEFAULT_SCALE)
    name = f"dmi_bench_scale_{os.getpid()}"  # unique among the runs on this host
    url = make_url(config.database_url).set(database=name)
    return replace(config, database_url=url.render_as_string(hide_password=False))


def process_env(config: BenchConfig, issuer: str, export_dir: Path) -> dict[str, str]:
    """One environment for every replica, worker and command: the same database, secret,
    issuer, key schedule and export directory (README: "Bulk export")."""
    return {
        **base_env(),
        **POOLS,
        "DMI_DATABASE_URL": config.app_url,
        "DMI_SECRET_KEY": SECRET_KEY,
        "DMI_ISSUER": issuer,
        "DMI_LOG_LEVEL": "WARNING",
        "DMI_SIGNING_KEY_REFRESH_SECONDS": str(SIGNING_KEY_REFRESH_SECONDS),
        "DMI_TOKEN_LEEWAY_SECONDS": str(TOKEN_LEEWAY_SECONDS),
        "DMI_WEBHOOK_ALLOW_LOOPBACK": "true",
        "DMI_EXPORT_DIR": str(export_dir),
        # Rate limits counted in the one Redis every process shares; the checks' own clients
        # are never throttled, the rate limit check's client has a quota of its own.
        "DMI_REDIS_URL": config.redis_url,
        "DMI_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
        # Every client of the checks asks for its tokens from 127.0.0.1.
        "DMI_TOKEN_REQUESTS_PER_MINUTE": str(RATE_LIMIT_PER_MINUTE),
    }


def _dmi_api(*args: str) -> list[str]:
    return [str(VENV_BIN / "dmi-api"), *args]


def _start_replicas(stack: ExitStack, env: dict[str, str]) -> dict[str, Server]:
    replicas = {}
    for name in REPLICAS:
        port = free_port()
        command = _dmi_api(
            "serve", "--host", HOST, "--port", str(port), "--workers", str(WORKERS_PER_REPLICA)
        )
        replicas[name] = launch(f"replica-{name}", command, env, LOG_DIR, port)
        stack.callback(replicas[name].stop)
    return replicas


def _start_workers(stack: ExitStack, env: dict[str, str]) -> list[Server]:
    workers = []
    for number in range(1, JOB_WORKERS + 1):
        worker = launch(f"worker-{number}", _dmi_api("worker"), env, LOG_DIR, 0)
        stack.callback(worker.stop)
        workers.append(worker)
    return workers


def _start_balancer(
    stack: ExitStack, replicas: dict[str, Server], directory: Path, port: int
) -> tuple[Server, Path]:
    socket_path = directory / "haproxy.sock"
    backends = [haproxy.Backend(name, server.port) for name, server in replicas.items()]
    config_path = directory / "haproxy.cfg"
    config_path.write_text(haproxy.render_config(port, backends, socket_path), encoding="utf-8")
    balancer = haproxy.start(config_path, LOG_DIR, port)
    stack.callback(balancer.stop)
    return balancer, socket_path


def _database(stack: ExitStack, config: BenchConfig) -> None:
    """Create and migrate the database; dropped at the end."""
    asyncio.run(recreate_database(config, drop=True))
    stack.callback(lambda: asyncio.run(drop_database(config)))
    migrate(config)
    asyncio.run(ensure_app_role(config))


def _say(line: str) -> None:
    print(line, flush=True)


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Everything up and healthy for the block; everything stopped and removed after it."""
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    began = time.monotonic()
    with ExitStack() as stack:
        directory = Path(tempfile.mkdtemp(prefix="dmi-scale-"))
        stack.callback(shutil.rmtree, directory, ignore_errors=True)
        config = database_config()
        _database(stack, config)
        _say(
            f"database {config.database_name} migrated {time.monotonic() - began:.1f} s after start"
        )
        receiver = stack.enter_context(running_receiver())
        lb_port = free_port()
        env = process_env(config, f"http://{HOST}:{lb_port}", directory / "exports")
        replicas = _start_replicas(stack, env)
        workers = _start_workers(stack, env)
        receiver.senders = [worker.process.pid for worker in workers]
        balancer, socket_path = _start_balancer(stack, replicas, directory, lb_port)
        tenant = create_clinic_and_client(config)  # while the processes start
        for replica in replicas.values():
            replica.wait_ready("/readyz")
        haproxy.wait_all_up(socket_path, list(replicas))
        _say(f"every process healthy {time.monotonic() - began:.1f} s after the start")
        yield Cluster(
            replicas=replicas,
            balancer=balancer,
            workers=workers,
            receiver=receiver,
            stats_socket=socket_path,
            clinic_id=tenant["clinic_id"],
            admin=Credentials(tenant["client_id"], tenant["client_secret"]),
            owner_dsn=asyncpg_dsn(config.owner_url),
            env=env,
        )
        _say("stopping HAProxy, the workers and the replicas; dropping the database")
