"""A real HTTP receiver on 127.0.0.1 for delivery tests: it counts connections and records
each request; its routes answer 200, 500, a redirect, slowly, in a fixed time, with an endless
body, or with any status and the `Retry-After` the test sets (`/status/<code>`)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

RESPONSE_SECRET = b"receiver-body-must-not-be-kept"
UNHURRIED_SECONDS = 0.4  # how long `/unhurried` takes to answer 200


@dataclass
class Seen:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    # Every header field as sent, in order, repeated ones too (`headers` keeps one of each).
    fields: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Receiver:
    """What reached the receiver, and the event that lets its slow routes finish."""

    port: int
    connections: int = 0
    requests: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    retry_after: str | None = None  # `/status/<code>` answers with it, when set

    def paths(self) -> list[str]:
        """The paths requested, in order."""
        return [seen.path for seen in self.requests]

    def seen(self, path: str) -> int:
        """How many requests to `path` have arrived (a slow route's count while they hang)."""
        return self.paths().count(path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A real server's backlog (socketserver's default of 5 resets connections when a dispatcher
    # opens its pool's connections at once).
    request_queue_size = 128
    receiver: Receiver

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.receiver.connections += 1
        return True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up early (as deliveries do) is not an error here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `Receiver.requests`."""

    def _answer(self, status: int, headers: dict[str, str], body: bytes = RESPONSE_SECRET) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        """Record the request, then answer as the path says."""
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        receiver.requests.append(
            Seen(self.path, dict(self.headers.items()), body, list(self.headers.items()))
        )
        if self.path == "/fail":
            self._answer(500, {})
        elif self.path == "/redirect":
            self._answer(302, {"Location": f"http://127.0.0.1:{receiver.port}/target"})
        elif self.path == "/slow":
            receiver.release.wait(10)
            self._answer(200, {})
        elif self.path == "/unhurried":
            time.sleep(UNHURRIED_SECONDS)
            self._answer(200, {})
        elif self.path.startswith("/status/"):
            asked = {} if receiver.retry_after is None else {"Retry-After": receiver.retry_after}
            self._answer(int(self.path.removeprefix("/status/")), asked)
        elif self.path == "/endless":
            self._answer(200, {"Content-Length": str(1 << 30)}, RESPONSE_SECRET * 1000)
            receiver.release.wait(10)
        else:
            self._answer(200, {"Content-Type": "text/plain"})


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 until the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    receiver = Receiver(port=server.server_address[1])
    server.receiver = receiver
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


async def until(predicate: Callable[[], bool], within: float) -> float:
    """Seconds until `predicate` holds (fails after `within` seconds)."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > within:
            raise AssertionError("timed out")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


T = TypeVar("T")


async def hanging_clinic_holds_its_share(
    receiver: Receiver,
    hanging_events: Callable[[], Awaitable[T]],
    healthy_events: Callable[[], Awaitable[object]],
) -> T:
    """What both delivery paths must show, with `DMI_WEBHOOK_CLINIC_CALLS` 4 and a 5 s timeout:
    25 events of a clinic whose receiver (`/slow`) hangs, then 3 of another (`/ok`): the other
    clinic's arrive at once while only the first clinic's four calls hang (its share). Past the
    timeout and the window to begin a call, the receiver recovers (released). The first
    clinic's events (what `hanging_events` returned), for the test to follow to the end."""
    hanging = await hanging_events()
    await until(lambda: receiver.seen("/slow") >= 4, 10)
    hanging_since = time.perf_counter()
    await asyncio.sleep(0.3)
    await healthy_events()
    waited = await until(lambda: receiver.seen("/ok") >= 3, 10)
    in_flight = receiver.seen("/slow")
    print(f"other clinic's deliveries, commit to third arrival: {waited:.3f} s")
    assert waited < 2.0
    assert in_flight == 4  # the hanging clinic's share (DMI_WEBHOOK_CLINIC_CALLS)
    assert time.perf_counter() - hanging_since < 5.0  # its calls still in flight
    await asyncio.sleep(max(0.0, hanging_since + 6.0 - time.perf_counter()))
    receiver.release.set()
    return hanging
