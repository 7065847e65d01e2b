"""Request bodies with a content coding (RFC 9110 §8.4): gzip is decompressed on the way in,
every other coding is refused (415 with `Accept-Encoding`, RFC 9110 §15.5.16), never read as
if it were plain.

A mobile client on a metered network may compress what it uploads (a batch of session records
is JSON that gzip shrinks tenfold). The body limit counts the decompressed bytes, so a small
body that inflates past it (a "zip bomb") is a 413 like any large body, and no more than a
piece of it is ever held at once.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dmi_api.errors import (
    BadRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from dmi_api.http.handlers import render_problem

ACCEPTED = "gzip"
_GZIP = frozenset({"gzip", "x-gzip"})  # RFC 9110 §8.4.1.3: x-gzip is gzip
_PIECE = 64 * 1024  # the most decompressed bytes made at once
_NOT_GZIP = "The body is not whole gzip data, as its Content-Encoding says."


def codings(scope: Scope) -> list[str]:
    """The request's content codings, in the order applied, without `identity`."""
    listed = b",".join(value for name, value in scope["headers"] if name == b"content-encoding")
    named = (part.strip().lower() for part in listed.decode("latin-1").split(","))
    return [coding for coding in named if coding and coding != "identity"]


def _has_body(scope: Scope) -> bool:
    """Whether the request says it has a body (a coding of no body is no matter)."""
    headers = dict(scope["headers"])
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"


def _unsupported() -> UnsupportedMediaTypeError:
    return UnsupportedMediaTypeError(
        "Request bodies are accepted plain or as gzip (Content-Encoding: gzip).",
        headers={"Accept-Encoding": ACCEPTED},
    )


@dataclass
class ContentEncodingMiddleware:
    """Decompress a gzip request body for the app inside (which sees a plain body, without
    `Content-Encoding` or `Content-Length`); refuse any other coding with 415. Sits outside the
    body limit, which so counts what it hands on; `max_body_bytes` also bounds the bytes as
    sent."""

    app: ASGIApp
    max_body_bytes: int

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        applied = codings(scope) if _has_body(scope) else []
        if not applied:
            await self.app(scope, receive, send)
            return
        if len(applied) > 1 or applied[0] not in _GZIP:
            await render_problem(_unsupported())(scope, receive, send)
            return
        inner = dict(scope)
        inner["headers"] = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (b"content-encoding", b"content-length")
        ]
        decoder = _GzipBody(receive, self.max_body_bytes)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(inner, decoder.receive, tracking_send)
        except (BadRequestError, PayloadTooLargeError) as refused:
            if started:
                raise
            await render_problem(refused)(scope, receive, send)


class _GzipBody:
    """The decompressed body, a piece per `http.request` message."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.source, self.limit = receive, limit
        self.inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        self.pending = b""  # compressed bytes received and not yet inflated
        self.sent = 0  # compressed bytes received
        self.more = True  # the client has more to send
        self.finished = False

    async def receive(self) -> Message:
        """The next piece of the decompressed body (or what the server passes on)."""
        if self.finished:
            return await self.source()
        while not self.pending and self.more:
            message = await self.source()
            if message["type"] != "http.request":
                return message  # a disconnect
            chunk: bytes = message.get("body", b"")
            self.sent += len(chunk)
            if self.sent > self.limit:
                raise PayloadTooLargeError(
                    f"The request body exceeds the limit of {self.limit} bytes."
                )
            self.pending += chunk
            self.more = bool(message.get("more_body", False))
        return self._inflated()

    def _inflated(self) -> Message:
        try:
            piece = self.inflate.decompress(self.pending, _PIECE)
        except zlib.error:
            raise BadRequestError(_NOT_GZIP) from None
        self.pending = self.inflate.unconsumed_tail
        if self.inflate.unused_data:
            raise BadRequestError(_NOT_GZIP)  # bytes after the gzip data's end
        if self.pending or self.more:
            return {"type": "http.request", "body": piece, "more_body": True}
        if not self.inflate.eof and self.sent:
            raise BadRequestError(_NOT_GZIP)  # cut short
        self.finished = True
        return {"type": "http.request", "body": piece, "more_body": False}
