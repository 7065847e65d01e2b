"""Under `/fhir/`, every problem document (RFC 9457) the API answers with becomes a FHIR
OperationOutcome (`application/fhir+json`): token, scope, not found, validation, limits and
outages alike. A 422 is FHIR's 400 (an invalid search or parameter). Every answer under `/fhir/`
says it varies with `Accept` (JSON or 406) and `Prefer` (`handling=lenient`, `respond-async`),
so that no cache hands one client's answer to another that asked differently."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dmi_api.fhir.media import FhirResponse
from dmi_api.fhir.outcomes import operation_outcome
from dmi_api.http.problems import PROBLEM_MEDIA_TYPE

FHIR_PREFIX = "/fhir/"
# The request headers every `/fhir/` answer depends on (RFC 9110 §12.5.5).
VARY = ("Accept", "Prefer")


def _with_vary(headers: MutableHeaders) -> None:
    """`Vary` naming `VARY`, besides what it named already."""
    named = [v.strip() for field in headers.getlist("vary") for v in field.split(",") if v.strip()]
    lowered = {v.lower() for v in named}
    if "*" in lowered:
        return
    headers["vary"] = ", ".join(named + [v for v in VARY if v.lower() not in lowered])


class FhirOutcomeMiddleware:
    """Rewrite problem responses of `/fhir/` requests as OperationOutcomes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass everything through but a problem's start and body under `/fhir/`."""
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(FHIR_PREFIX):
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def send_outcome(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message["headers"]))
                _with_vary(headers)
                message = {**message, "headers": headers.raw}
                if headers.get("content-type", "").startswith(PROBLEM_MEDIA_TYPE):
                    held["start"] = message
                    return
            elif message["type"] == "http.response.body" and "start" in held:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                await _send_outcome(send, held["start"], b"".join(chunks), scope)
                return
            await send(message)

        await self.app(scope, receive, send_outcome)


async def _send_outcome(send: Send, start: Message, body: bytes, scope: Scope) -> None:
    try:
        problem = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        problem = {}
    status = int(start["status"])
    if status == 422:  # FHIR's invalid request (a parameter, a header)
        status = 400
    content = orjson.dumps(operation_outcome(status, problem if isinstance(problem, dict) else {}))
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["content-type"] = FhirResponse.media_type
    headers["content-length"] = str(len(content))
    await send({"type": "http.response.start", "status": status, "headers": headers.raw})
    await send(
        {"type": "http.response.body", "body": content if scope.get("method") != "HEAD" else b""}
    )
