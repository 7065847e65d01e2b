"""HAProxy in front of the replicas: its configuration, its process, and its own view of them
(health and requests per server, read from its stats socket)."""

from __future__ import annotations

import csv
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.servers import HOST, Server, launch

BACKEND = "replicas"
# Health checks every 500 ms: a replica is out after 2 failures, back after 1 success.
CHECK_INTERVAL_MS = 500


@dataclass(frozen=True)
class Backend:
    """One replica as HAProxy names and reaches it."""

    name: str
    port: int


def render_config(port: int, backends: list[Backend], stats_socket: Path) -> str:
    """The configuration: a frontend on loopback `port`, round robin over `backends` with health
    checks on `/readyz`, `X-Forwarded-For` added, and a stats socket (`show stat`)."""
    servers = "\n".join(
        f"    server {backend.name} {HOST}:{backend.port} check" for backend in backends
    )
    return f"""\
global
    maxconn 2048
    stats socket {stats_socket} mode 600 level user

defaults
    mode http
    option forwardfor
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s

frontend api
    bind {HOST}:{port}
    default_backend {BACKEND}

backend {BACKEND}
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {HOST}
    http-check expect status 200
    default-server inter {CHECK_INTERVAL_MS}ms fall 2 rise 1
{servers}
"""


def binary() -> str:
    """The haproxy executable (`make scale-check` installs the Debian package when missing)."""
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise SystemExit("haproxy is not installed: `apt-get install -y haproxy`")
    return found


def version() -> str:
    """HAProxy's version number."""
    done = subprocess.run([binary(), "-v"], check=True, capture_output=True, text=True)  # noqa: S603
    return done.stdout.split()[2]


def start(config_path: Path, log_dir: Path, port: int) -> Server:
    """Check the configuration, then run HAProxy in the foreground (stopped like a server)."""
    subprocess.run(  # noqa: S603
        [binary(), "-c", "-q", "-f", str(config_path)], check=True, capture_output=True
    )
    return launch("haproxy", [binary(), "-db", "-f", str(config_path)], {}, log_dir, port)


@dataclass(frozen=True)
class ServerStat:
    """One backend server as HAProxy sees it."""

    status: str  # UP, DOWN, ...
    requests: int  # sessions sent to it so far (`stot`)


def parse_stats(csv_text: str) -> dict[str, ServerStat]:
    """`show stat` output: the servers of the backend, by name."""
    lines = csv_text.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"not HAProxy stats: {csv_text[:80]!r}")
    rows = csv.DictReader([lines[0][2:], *lines[1:]])
    return {
        row["svname"]: ServerStat(row["status"], int(row["stot"] or 0))
        for row in rows
        if row["pxname"] == BACKEND and row["svname"] not in ("FRONTEND", "BACKEND")
    }


def stats(stats_socket: Path) -> dict[str, ServerStat]:
    """The backend's servers now, from the stats socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(str(stats_socket))
        conn.sendall(b"show stat\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return parse_stats(b"".join(chunks).decode())


def wait_all_up(stats_socket: Path, names: list[str], timeout: float = 30.0) -> None:
    """Until every named server passed its health check."""
    deadline = time.monotonic() + timeout
    seen: dict[str, ServerStat] = {}
    while time.monotonic() < deadline:
        try:
            seen = stats(stats_socket)
        except OSError:
            seen = {}
        if all(name in seen and seen[name].status == "UP" for name in names):
            return
        time.sleep(0.2)
    raise RuntimeError(f"HAProxy does not see every replica up after {timeout:.0f} s: {seen}")
