"""A real HTTP proxy on loopback in front of the served app, that misbehaves on cue: it answers
503 or 429 with `Retry-After` instead of forwarding, forwards and then loses the answer (503, or
a connection closed without one) or cuts it short (the connection closed mid-body), and records
every request it saw."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "host",
    "content-encoding",
}


@dataclass(frozen=True)
class Fault:
    """What to do with one request instead of forwarding it: answer `status` (with
    `retry_after`); with `forward`, forward it first and lose the app's answer; with `drop`,
    forward it and close the connection without any answer; with `cut`, forward it and close
    the connection after the answer's first `cut` bytes of body (announcing the whole length, or
    with `no_length` none: a body read until the connection closes, as an HTTP/1.0 proxy sends
    it); with `html`, its refusal is that page (as a load balancer's 502), not a problem."""

    status: int = 503
    retry_after: str | None = None
    forward: bool = False
    drop: bool = False
    cut: int | None = None
    no_length: bool = False
    html: str | None = None


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Proxy:
    """The proxy's plan (faults per `METHOD /path`, used in order) and what it saw."""

    upstream: str
    url: str = ""
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    forwarded: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self, route: str, *faults: Fault) -> None:
        with self.lock:
            self.faults[route] = list(faults)

    def seen_at(self, route: str) -> list[Seen]:
        """The requests of `METHOD /path` that reached the proxy."""
        return [s for s in self.seen if _route(s) == route]

    def forwarded_at(self, route: str) -> list[Seen]:
        """The requests of `METHOD /path` that reached the app."""
        return [s for s in self.forwarded if _route(s) == route]

    def next_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(f"{method} {path.split('?')[0]}")
            return queue.pop(0) if queue else None


def _route(seen: Seen) -> str:
    return f"{seen.method} {seen.path.split('?')[0]}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: Proxy
    upstream: httpx.Client


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        proxy.seen.append(seen)
        fault = proxy.next_fault(self.command, self.path)
        if fault is None or fault.forward or fault.drop or fault.cut is not None:
            proxy.forwarded.append(seen)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            answer = self.server.upstream.request(
                self.command, self.path, headers=headers, content=body
            )
            if fault is None:
                self._reply(answer.status_code, dict(answer.headers), answer.content)
                return
            if fault.cut is not None:
                self._cut(answer, fault)
                return
        if fault.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        if fault.html is not None:
            page = {"content-type": "text/html", **extra}
            self._reply(fault.status, page, fault.html.encode())
            return
        problem = {
            "type": "about:blank",
            "title": "Unavailable (test proxy)",
            "status": fault.status,
            "detail": "the test proxy refused this attempt",
            "code": "proxy_fault",
        }
        self._reply(
            fault.status,
            {"content-type": "application/problem+json", **extra},
            json.dumps(problem).encode(),
        )

    def _cut(self, answer: httpx.Response, fault: Fault) -> None:
        """The answer's status and headers, then `fault.cut` bytes of its body, then a close."""
        assert fault.cut is not None
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in _HOP:
                self.send_header(name, value)
        if fault.no_length:
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content[: fault.cut])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in _HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle  # noqa: N815 (http.server's names)


@contextmanager
def proxy_to(upstream: str) -> Iterator[Proxy]:
    """A proxy on a free loopback port for as long as the block runs."""
    server = _Server(("127.0.0.1", 0), _Handler)
    state = Proxy(upstream, url=f"http://127.0.0.1:{server.server_address[1]}")
    server.proxy = state
    server.upstream = httpx.Client(base_url=upstream, timeout=30)
    thread = threading.Thread(target=server.serve_forever, name="test-proxy", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        server.upstream.close()
