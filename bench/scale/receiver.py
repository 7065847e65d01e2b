"""A webhook receiver on loopback that records every delivery as it arrives, duplicates
included, with its signature checked and the job worker process that sent it (the process
holding the other end of the connection, found in /proc)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
from standardwebhooks import Webhook

from bench.servers import HOST


@dataclass(frozen=True)
class Delivery:
    """One POST as it reached the receiver."""

    webhook_id: str
    event_type: str
    signature_ok: bool
    sender_pid: int | None  # the process that connected, when it is one of the senders
    latency_ms: float  # from the event (its `occurred_at`) to its arrival here


@dataclass
class Receiver:
    """Where it listens, what reached it, and whom it trusts."""

    port: int
    senders: list[int] = field(default_factory=list)  # the job workers' pids
    secret: str | None = None  # the endpoint's signing secret, once registered
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """The URL to register."""
        return f"http://{HOST}:{self.port}/hook"

    def received(self) -> list[Delivery]:
        """A copy of what arrived so far."""
        with self.lock:
            return list(self.deliveries)


def _port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1], 16)


def socket_inode(proc_net_tcp: str, local_port: int, remote_port: int) -> int | None:
    """The inode of the socket from `local_port` to `remote_port` in /proc/net/tcp's text."""
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 9 and (_port_of(fields[1]), _port_of(fields[2])) == (
            local_port,
            remote_port,
        ):
            return int(fields[9])
    return None


def owner_of(inode: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the socket `inode` open."""
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) == target:
                    return pid
            except OSError:
                continue
    return None


def sender_of(peer_port: int, receiver_port: int, pids: list[int]) -> int | None:
    """The process among `pids` whose connection comes from `peer_port` (None if none is)."""
    inode = socket_inode(Path("/proc/net/tcp").read_text(), peer_port, receiver_port)
    return None if inode is None else owner_of(inode, pids)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the dispatcher opens its connections at once
    receiver: Receiver


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    sender: int | None = None

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the checks read `Receiver.deliveries`."""

    def setup(self) -> None:
        """Once per connection: who opened it (while it is open)."""
        super().setup()
        receiver = self.server.receiver
        self.sender = sender_of(self.client_address[1], receiver.port, receiver.senders)

    def do_POST(self) -> None:
        """Record the delivery, answer 204."""
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            Webhook(receiver.secret or "").verify(body, headers)
            signature_ok = True
        except Exception:  # any refusal of the library is a bad signature here
            signature_ok = False
        event = orjson.loads(body) if body else {}
        occurred = datetime.fromisoformat(event.get("occurred_at", "1970-01-01T00:00:00+00:00"))
        delivery = Delivery(
            webhook_id=headers.get("webhook-id", ""),
            event_type=str(event.get("type", "")),
            signature_ok=signature_ok,
            sender_pid=self.sender,
            latency_ms=(time.time() - occurred.timestamp()) * 1000,
        )
        with receiver.lock:
            receiver.deliveries.append(delivery)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver on loopback until the block ends."""
    server = _Server((HOST, 0), _Handler)
    receiver = Receiver(port=server.server_address[1])
    server.receiver = receiver
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
