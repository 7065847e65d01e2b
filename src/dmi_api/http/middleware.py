"""Pure ASGI middleware: request context (id, headers, access log, last-resort 500), body limit."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dmi_api.errors import BadRequestError, PayloadTooLargeError
from dmi_api.http.errors_log import log_unexpected
from dmi_api.http.handlers import (
    database_error_response,
    render_problem,
    unexpected_error_response,
)
from dmi_api.rate_limits.verdicts import Verdict
from dmi_api.request_context import (
    REQUEST_ID_HEADER,
    choose_request_id,
    set_client_ip,
    set_request_id,
)

access_logger = logging.getLogger("dmi_api.access")

# Interactive docs load scripts and styles; every other response is data and gets the strict policy.
_DOCS_PATHS = ("/docs", "/redoc")
_SECURITY_HEADERS = (
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
)
_DATA_CSP = "default-src 'none'; frame-ancestors 'none'"
_SECURITY_RAW = tuple((name.encode(), value.encode()) for name, value in _SECURITY_HEADERS)
# The docs' static assets (~3 MB, the same for every caller) may be kept by the browser, which
# revalidates them by ETag on each use (304) instead of fetching them again.
_ASSETS_PATH = "/docs/assets/"
_ASSETS_RAW = tuple(
    (name, b"no-cache" if name == b"cache-control" else value) for name, value in _SECURITY_RAW
)
_CSP_RAW = (b"content-security-policy", _DATA_CSP.encode())
# RFC 6797: over TLS (direct, or a trusted proxy's `X-Forwarded-Proto: https`) only; a year, the
# API host's own subdomains included (it names no parent domain's).
_HSTS_RAW = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_REQUEST_ID_RAW = REQUEST_ID_HEADER.lower().encode()
_OURS = frozenset({_REQUEST_ID_RAW, _HSTS_RAW[0], *(name for name, _ in _SECURITY_RAW)})
_OURS_WITH_CSP = _OURS | {_CSP_RAW[0]}


def _with_our_headers(
    headers: Any, request_id: str, *, is_docs: bool, is_asset: bool = False, is_tls: bool = False
) -> list[tuple[bytes, bytes]]:
    """A response's raw headers with ours set, replacing any of the same names (what
    `MutableHeaders.__setitem__` does, in one pass instead of one per header)."""
    ours = _OURS if is_docs else _OURS_WITH_CSP
    raw = [(name, value) for name, value in headers if name.lower() not in ours]
    raw.append((_REQUEST_ID_RAW, request_id.encode("latin-1")))
    raw.extend(_ASSETS_RAW if is_asset else _SECURITY_RAW)
    if not is_docs:
        raw.append(_CSP_RAW)
    if is_tls:
        raw.append(_HSTS_RAW)
    return raw


def route_template(scope: Scope) -> str:
    """The matched route's path template (never the concrete path, which may carry identifiers)."""
    route: Any = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


@dataclass
class _HttpMiddleware:
    """An ASGI middleware for HTTP requests; other scopes (lifespan) pass straight through."""

    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await (self.http if scope["type"] == "http" else self.app)(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


@dataclass
class RequestContextMiddleware(_HttpMiddleware):
    """Request id, security headers, one structured access log line, and a last-resort 500."""

    retry_after_seconds: int

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = choose_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        set_request_id(request_id)
        client = scope.get("client")
        set_client_ip(client[0] if client else None)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False
        is_docs = scope["path"].startswith(_DOCS_PATHS)
        is_asset = is_docs and scope["path"].startswith(_ASSETS_PATH)
        is_tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = _with_our_headers(
                    message.get("headers", ()),
                    request_id,
                    is_docs=is_docs,
                    is_asset=is_asset,
                    is_tls=is_tls,
                )
                # The caller's quota, once authentication charged the request to it.
                rate_limit: Verdict | None = state.get("rate_limit")
                if rate_limit is not None:
                    message["headers"].extend(rate_limit.headers())
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if response_started:
                log_unexpected(exc)
                raise
            response = database_error_response(exc, self.retry_after_seconds)
            if response is None:
                response = unexpected_error_response(exc)
            await response(scope, receive, send_with_headers)
        finally:
            access_logger.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


@dataclass
class BodyLimitMiddleware(_HttpMiddleware):
    """Refuse bodies over the limit, by Content-Length up front and by counting the byte stream."""

    max_body_bytes: int

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await render_problem(BadRequestError("Invalid Content-Length header."))(
                    scope, receive, send
                )
                return
            if int(declared) > limit:
                await render_problem(_too_large(limit))(scope, receive, send)
                return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLargeError as exc:
            # Raised while the app was reading; unless the app already answered, answer 413.
            if response_started:
                raise
            await render_problem(exc)(scope, receive, send)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"The request body exceeds the limit of {limit} bytes.")
