"""A webhook receiver on loopback that keeps every request (headers and raw body) and answers
204."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)

    def wait_for(self, match: Callable[[Delivery], bool], seconds: float = 30) -> Delivery:
        """The first delivery `match` accepts, waiting for it up to `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for delivery in list(self.deliveries):
                if match(delivery):
                    return delivery
            time.sleep(0.05)
        raise AssertionError(
            f"no matching delivery within {seconds} s: {len(self.deliveries)} seen"
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.receiver.deliveries.append(
            Delivery(self.path, dict(self.headers.items()), body)
        )
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def receiving() -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, name="receiver", daemon=True)
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()
