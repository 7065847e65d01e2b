"""Creation once per `Idempotency-Key`: a retry with the same body replays the first answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from dmi_api.auth.dependencies import Caller
from dmi_api.http.responses import FastJSONResponse as JSONResponse
from dmi_api.services import idempotency

Created = tuple[int, dict[str, Any], dict[str, str]]  # status, body, headers


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
    if key is None:
        status, body, headers = await create()
        return JSONResponse(body, status_code=status, headers=headers)
    request_hash = idempotency.fingerprint(
        request.method, route or request.url.path, payload.model_dump(mode="json")
    )
    stored = await idempotency.claim(
        caller.tenant, client_id=caller.principal.client_id, key=key, request_hash=request_hash
    )
    if stored is not None:
        return JSONResponse(
            stored.body,
            status_code=stored.status_code,
            headers={**stored.headers, "Idempotent-Replayed": "true"},
        )
    status, body, headers = await create()
    await idempotency.complete(
        caller.tenant,
        client_id=caller.principal.client_id,
        key=key,
        status_code=status,
        body=body,
        headers=headers,
    )
    return JSONResponse(body, status_code=status, headers=headers)
