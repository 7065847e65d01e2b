"""What every clinical resource router shares: list parameters, ETags, idempotent creation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from dmi_api.http.conditional import etag, is_not_modified
from dmi_api.http.responses import FastJSONResponse as JSONResponse
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.pagination import MAX_LIMIT, next_link
from dmi_api.routers.params import DEFAULT_PAGE_SIZE, Cursor
from dmi_api.schemas.base import UtcInstant
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
