"""Find or start the PostgreSQL server the test suite runs on; fail loudly, never skip.

Order: `DMI_TEST_DATABASE_URL`, else a server at 127.0.0.1:5432 (user postgres, then root), else a
throwaway cluster made with initdb/pg_ctl, run as an unprivileged user when we are root.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from tests.support.ports import free_port

ENV_VAR = "DMI_TEST_DATABASE_URL"
_SCHEME = "postgresql+asyncpg://"
_ACCEPTED_SCHEMES = (_SCHEME, "postgresql://", "postgres://")
_PROBE_TIMEOUT = 2.0
_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class PgServer:
    """A PostgreSQL server usable by the tests; `cluster_dir` is set only for our own cluster."""

    admin_url: str
    cluster_dir: Path | None


def _normalise(url: str) -> str:
    for scheme in _ACCEPTED_SCHEMES:
        if url.startswith(scheme):
            return _SCHEME + url[len(scheme) :]
    # Only the scheme: the rest may hold a password.
    raise ValueError(f"{ENV_VAR} must be a postgresql:// URL, got scheme {url.split(':')[0]!r}")


def _url(user: str, host: str, port: int) -> str:
    host_part = f"[{host}]" if ":" in host else host
    return f"{_SCHEME}{user}@{host_part}:{port}/postgres"


def _probe(host: str, port: int, user: str) -> Exception | None:
    """Return None if `user` can connect, else the error (in a thread: the caller may be async)."""
    outcome: list[Exception | None] = []

    async def attempt() -> None:
        conn = await asyncpg.connect(
            host=host, port=port, user=user, database="postgres", timeout=_PROBE_TIMEOUT
        )
        await conn.close()

    def run() -> None:
        try:
            asyncio.run(attempt())
        except Exception as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, name="pg-probe", daemon=True)
    thread.start()
    thread.join(_PROBE_TIMEOUT + 5)
    return outcome[0] if outcome else TimeoutError(f"no answer from {host}:{port}")


def _find_binaries() -> tuple[str, str] | None:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in path.parent.name.split(".") if p.isdigit())

    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True):
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return str(bindir / "initdb"), str(bindir / "pg_ctl")
    return None


def _run_as(cmd: list[str], user: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    if user is not None:
        runuser = shutil.which("runuser")
        if runuser:
            cmd = [runuser, "-u", user, "--", *cmd]
        else:
            cmd = ["su", user, "-s", "/bin/sh", "-c", shlex.join(cmd)]
    # Locale C keeps initdb independent of whatever locales the machine has installed.
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def _unprivileged_user() -> str | None:
    # PostgreSQL refuses to run as root.
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        return "nobody"


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no server log: {exc})"


def _start_cluster(initdb: str, pg_ctl: str) -> PgServer:
    user = _unprivileged_user()
    # /tmp and 0o755: root's TMPDIR may be unreachable for the server's user; the socket path
    # stays short. mkdtemp still picks an unpredictable name, hence the noqa.
    tmp = "/tmp" if user else None  # noqa: S108
    cluster_dir = Path(tempfile.mkdtemp(prefix="dmi-pg-", dir=tmp))
    port = free_port()
    server = PgServer(_url("postgres", "127.0.0.1", port), cluster_dir)
    sockets, log = cluster_dir / "sockets", cluster_dir / "server.log"
    data = str(cluster_dir / "data")
    init_cmd = [initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]
    try:
        cluster_dir.chmod(0o755)
        sockets.mkdir()
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in (cluster_dir, sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        init = _run_as([*init_cmd, "--no-sync"], user, cluster_dir)
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed ({init.returncode}): {init.stdout}{init.stderr}")
        options = (
            f"-p {port} -k {shlex.quote(str(sockets))} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        start_cmd = [pg_ctl, "-D", data, "-o", options, "-w", "-t", "30", "-l", str(log), "start"]
        start = _run_as(start_cmd, user, cluster_dir)
        if start.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed ({start.returncode}): {start.stderr}")
        deadline = time.monotonic() + _START_TIMEOUT
        while (error := _probe("127.0.0.1", port, "postgres")) is not None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"throwaway cluster on port {port} never answered: {error!r}")
            time.sleep(0.2)
    except Exception as exc:
        detail = f"{exc}\n--- tail of {log} ---\n{_tail(log)}"
        stop_pg_server(server)
        raise RuntimeError(f"could not start a throwaway PostgreSQL cluster: {detail}") from exc
    return server


def resolve_pg_server(
    *, probe_host: str = "127.0.0.1", probe_port: int = 5432, env: Mapping[str, str] | None = None
) -> PgServer:
    """Return the server to test on: the env var's URL, a local server, or a new throwaway one."""
    env = os.environ if env is None else env
    if ENV_VAR in env:
        return PgServer(_normalise(env[ENV_VAR]), None)
    error = _probe(probe_host, probe_port, "postgres")
    if error is None:
        return PgServer(_url("postgres", probe_host, probe_port), None)
    tried = [f"{ENV_VAR} is not set", f"postgres@{probe_host}:{probe_port}: {error!r}"]
    if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError):
        root_error = _probe(probe_host, probe_port, "root")
        if root_error is None:
            return PgServer(_url("root", probe_host, probe_port), None)
        tried.append(f"root@{probe_host}:{probe_port}: {root_error!r}")
    binaries = _find_binaries()
    if binaries is None:
        tried.append("no initdb and pg_ctl on PATH nor in /usr/lib/postgresql/*/bin")
        raise RuntimeError("no PostgreSQL server for the tests; tried: " + "; ".join(tried))
    return _start_cluster(*binaries)


def stop_pg_server(server: PgServer) -> None:
    """Stop and delete a throwaway cluster started by `resolve_pg_server`; no-op otherwise."""
    if server.cluster_dir is None or not server.cluster_dir.exists():
        return
    data = server.cluster_dir / "data"
    if (data / "postmaster.pid").exists():
        binaries = _find_binaries()
        if binaries is None:
            raise RuntimeError(f"cannot stop the cluster in {data}: no pg_ctl found")
        owner = server.cluster_dir.stat().st_uid
        user = pwd.getpwuid(owner).pw_name if os.geteuid() == 0 and owner != 0 else None
        stop = _run_as(
            [binaries[1], "-D", str(data), "-m", "immediate", "-w", "stop"], user, Path("/")
        )
        # Deleting the directory under a server that is still running would hide a leak.
        if stop.returncode != 0 and (data / "postmaster.pid").exists():
            raise RuntimeError(
                f"pg_ctl stop failed for {data} ({stop.returncode}): {stop.stderr}; left in place"
            )
    shutil.rmtree(server.cluster_dir)
