"""What every clinical resource router shares: list parameters, ETags, idempotent creation."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from dmi_api.auth.dependencies import Caller
from dmi_api.http.conditional import etag, is_not_modified
from dmi_api.http.responses import FastJSONResponse as JSONResponse
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.pagination import MAX_LIMIT, next_link
from dmi_api.routers.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from dmi_api.schemas.base import UtcInstant, VersionPublic
from dmi_api.services import history, idempotency
from dmi_api.services.resources import ListQuery, SortKey


async def list_query(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    sort: Annotated[SortKey, Query(description="order; `-` for descending")] = "updated_at",
    updated_since: Annotated[
        UtcInstant | None,
        Query(description="only rows changed at or after this instant, tombstones included"),
    ] = None,
) -> ListQuery:
    """The common list parameters."""
    return ListQuery(limit=limit, cursor=cursor, sort=sort, updated_since=updated_since)


ListParams = Annotated[ListQuery, Depends(list_query)]


@dataclass(frozen=True)
class PageQuery:
    """The parameters of a list with one fixed order (a version history)."""

    limit: int
    cursor: str | None


async def page_query(limit: Limit = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> PageQuery:
    """`limit` and `cursor`, as every list takes them."""
    return PageQuery(limit=limit, cursor=cursor)


PageParams = Annotated[PageQuery, Depends(page_query)]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="retry-safe creation: the same key and body replay the first response",
    ),
]
IF_MATCH_DOC = "ETag of the version being changed (required)"
IfMatch = Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC)]
Body = BaseModel | dict[str, Any]


def json_body(model: BaseModel) -> dict[str, Any]:
    """A response model as JSON-ready data."""
    data: dict[str, Any] = model.model_dump(mode="json")
    return data


def body_data(item: Body) -> dict[str, Any]:
    """A body as JSON-ready data."""
    return json_body(item) if isinstance(item, BaseModel) else item


def page_response(request: Request, data: Sequence[Body], next_cursor: str | None) -> JSONResponse:
    """A list page with its `Link` header."""
    return JSONResponse(
        {"data": [body_data(item) for item in data], "next_cursor": next_cursor},
        headers=next_link(request.url, next_cursor),
    )


def resource_response(
    request: Request,
    row: ClinicalRow,
    body: Body,
    *,
    status_code: int = 200,
) -> Response:
    """A single resource with its ETag; 304 when the caller already has this version."""
    return versioned_response(request, row.version, body, status_code=status_code)


def versioned_response(
    request: Request,
    version: int,
    body: Body,
    *,
    status_code: int = 200,
) -> Response:
    """A body of a resource's version with its ETag; 304 when the caller already has it."""
    headers = {"ETag": etag(version)}
    if status_code == 200 and request.method == "GET" and is_not_modified(request, version):
        return Response(status_code=304, headers=headers)
    return JSONResponse(body_data(body), status_code=status_code, headers=headers)


async def idempotent_create(
    caller: Caller,
    request: Request,
    key: str | None,
    payload: BaseModel,
    create: Callable[[], Awaitable[tuple[int, dict[str, Any], dict[str, str]]]],
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


async def versions_page(
    caller: Caller,
    request: Request,
    page: PageQuery,
    *,
    resource_type: str,
    resource_id: uuid.UUID,
    child_id: uuid.UUID | None = None,
) -> JSONResponse:
    """A page of a live resource's version history, audited as a read of the resource."""
    versions, next_cursor = await history.list_versions(
        caller.tenant,
        resource_type=resource_type,
        resource_id=resource_id,
        limit=page.limit,
        cursor=page.cursor,
        codec=request.app.state.cursor_codec,
    )
    caller.audit("read", resource_type, resource_id=resource_id, child_id=child_id)
    bodies = [
        VersionPublic(
            version=v.version, recorded_at=v.recorded_at, client_id=v.client_id, resource=v.snapshot
        )
        for v in versions
    ]
    return page_response(request, bodies, next_cursor)
