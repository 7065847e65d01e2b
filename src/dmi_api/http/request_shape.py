"""Pure ASGI middleware on the request's shape: header limits (431) and HEAD served as GET."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dmi_api.errors import HeaderFieldsTooLargeError
from dmi_api.http.handlers import render_problem

MAX_HEADER_COUNT = 100
MAX_HEADER_BYTES = 16 * 1024
# Bytes a header takes on the wire besides its name and value: ": " and CRLF.
_FRAMING_BYTES = 4


def header_bytes(headers: list[tuple[bytes, bytes]]) -> int:
    """The size of the header section as sent (`name: value` plus CRLF for each field)."""
    return sum(len(name) + len(value) + _FRAMING_BYTES for name, value in headers)


class HeaderLimitMiddleware:
    """Refuse more than 100 header fields or more than 16 KiB of them with a 431 problem.

    The server in front may have larger limits of its own (or none); the API states one limit
    and enforces it whichever server runs it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            if len(headers) > MAX_HEADER_COUNT:
                detail = f"The request has more than {MAX_HEADER_COUNT} header fields."
            elif header_bytes(headers) > MAX_HEADER_BYTES:
                detail = f"The request's header fields exceed {MAX_HEADER_BYTES} bytes."
            else:
                detail = ""
            if detail:
                await render_problem(HeaderFieldsTooLargeError(detail))(scope, receive, send)
                return
        await self.app(scope, receive, send)


class HeadAsGetMiddleware:
    """Serve `HEAD` wherever `GET` is served (RFC 9110 §9.3.2): the GET's status and headers,
    no body.

    The inner app sees a GET in a copy of the scope, so the server (which reads the method from
    the original scope) still knows it answers a HEAD; the matched route is copied back for the
    access log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        inner = dict(scope, method="GET")

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(inner, receive, send_without_body)
        finally:
            if "route" in inner:
                scope["route"] = inner["route"]
