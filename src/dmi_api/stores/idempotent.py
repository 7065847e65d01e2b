"""Once per `Idempotency-Key`: a retry with the same request replays the first answer (a
creation's, and a change's or delete's: `PATCH`, `DELETE` and a record's signing)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from dmi_api.auth.dependencies import Caller
from dmi_api.http.responses import FastJSONResponse as JSONResponse
from dmi_api.services import idempotency

Created = tuple[int, dict[str, Any], dict[str, str]]  # status, body, headers


def _answer(status: int, body: dict[str, Any], headers: dict[str, str]) -> Response:
    """An answer as first given or replayed: 204 without a body, anything else as JSON."""
    if status == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def once_per_key(
    caller: Caller,
    request: Request,
    key: str | None,
    sent: Any,
    run: Callable[[], Awaitable[Created]],
    *,
    route: str | None = None,
) -> Response:
    """Run `run` once per Idempotency-Key: a retry of the same request (`sent`: what makes
    it the same besides the method and `route`, by default the request's path) replays the
    answer; another request with the key is 422. An attempt refused or failed (rolled back)
    leaves the key free, so its retry runs again."""
    if key is None:
        return _answer(*await run())
    request_hash = idempotency.fingerprint(request.method, route or request.url.path, sent)
    principal = caller.principal
    stored = await idempotency.claim(
        caller.tenant, client_id=principal.client_id, key=key, request_hash=request_hash
    )
    if stored is not None:
        headers = {**stored.headers, "Idempotent-Replayed": "true"}
        return _answer(stored.status_code, stored.body, headers)
    status, body, headers = await run()
    await idempotency.complete(
        caller.tenant,
        client_id=principal.client_id,
        key=key,
        status_code=status,
        body=body,
        headers=headers,
    )
    return _answer(status, body, headers)


async def idempotent_create(
    caller: Caller,
    request: Request,
    key: str | None,
    payload: BaseModel,
    create: Callable[[], Awaitable[Created]],
    *,
    route: str | None = None,
) -> JSONResponse:
    """Run `create` once per Idempotency-Key: a retry with the same body replays the response
    (`route`: the operation the key is fingerprinted with, by default the request's path)."""
    sent = payload.model_dump(mode="json")
    answer = await once_per_key(caller, request, key, sent, create, route=route)
    assert isinstance(answer, JSONResponse), "a creation answers with a body"
    return answer
