"""What every clinical resource router shares: ETags, idempotent creation."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from dmi_api.auth.dependencies import Caller
from dmi_api.http.conditional import etag, is_not_modified
from dmi_api.http.responses import FastJSONResponse as JSONResponse
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.pagination import cut_keyset_page, decode_keyset, next_link
from dmi_api.queries.pages import Keyset
from dmi_api.routers.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from dmi_api.schemas.common import Page
from dmi_api.stores.results import cursor_codec

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="retry-safe creation: the same key and body replay the first response",
    ),
]
ChangeKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="retry-safe change: resent with the same key, the same change (body, "
        "`If-Match`) replays the first answer instead of a 412 or 404",
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


MERGE_PATCH = "application/merge-patch+json"
PatchT = TypeVar("PatchT", bound=BaseModel)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 §2: `patch` applied to `target` (a member's null removes it, an absent one
    stays, an object merges member by member, anything else replaces)."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def media_type(request: Request) -> str:
    """The body's media type, lower case, without parameters."""
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def merged_payload(request: Request, payload: PatchT, current: Body) -> PatchT:
    """A PATCH body as the server applies it: sent as `application/merge-patch+json`, each
    object it sends is merged into the stored one (RFC 7396) and the whole is validated again
    (422 as for any body); the top level of every PATCH body already has RFC 7396's meaning
    (absent: kept, null: cleared). As `application/json`, an object sent replaces the stored
    one whole."""
    if media_type(request) != MERGE_PATCH:
        return payload
    sent = payload.model_dump(mode="json", exclude_unset=True)
    stored = body_data(current)
    objects = {
        name: merge_patch(stored.get(name), value)
        for name, value in sent.items()
        if isinstance(value, dict)
    }
    if not objects:
        return payload
    try:
        return type(payload).model_validate_json(json.dumps({**sent, **objects}))
    except ValidationError as invalid:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in invalid.errors()]
        raise RequestValidationError(errors) from None


RowT = TypeVar("RowT")
ItemT = TypeVar("ItemT", bound=BaseModel)
ReadPage = Callable[[int, Keyset | None], Awaitable[list[RowT]]]


class KeysetPager:
    """An administrative list's paging (clients, webhook endpoints and deliveries, audit
    events): its `limit` and `cursor` parameters, and the page they ask for."""

    def __init__(
        self,
        request: Request,
        response: Response,
        limit: Limit = DEFAULT_PAGE_SIZE,
        cursor: Cursor = None,
    ) -> None:
        self.request, self.response, self.limit, self.cursor = request, response, limit, cursor

    async def page(
        self,
        caller: Caller,
        resource: str,
        read: ReadPage[RowT],
        public: Callable[[RowT], ItemT],
        *,
        context: str | None = None,
        stamp: str = "created_at",
    ) -> Page[ItemT]:
        """The caller's page of a list of `resource`, audited: `read(limit + 1, position)` past
        the cursor's position (a cursor is bound to `context`, by default the resource), cut
        to `limit`, each row made `public`; the `Link` header names the next page."""
        context = context or resource
        codec = cursor_codec(self.request, caller.tenant.clinic_id)
        rows = await read(self.limit + 1, decode_keyset(codec, self.cursor, context=context))
        rows, next_cursor = cut_keyset_page(codec, rows, self.limit, context=context, stamp=stamp)
        self.response.headers.update(next_link(self.request.url, next_cursor))
        caller.audit("list", resource)
        return Page(data=[public(row) for row in rows], next_cursor=next_cursor)


Pager = Annotated[KeysetPager, Depends()]


def page_response(request: Request, data: Sequence[Body], next_cursor: str | None) -> JSONResponse:
    """A list page with its `Link` header."""
    return JSONResponse(
        {"data": [body_data(item) for item in data], "next_cursor": next_cursor},
        headers=next_link(request.url, next_cursor),
    )


def search_page_response(data: Sequence[Body], next_cursor: str | None) -> JSONResponse:
    """A page of a search by POST: no `Link` header, since a link is a GET URL and would carry
    the search's values (a child's name) into URLs; the next page is the same POST with
    `cursor`."""
    return JSONResponse({"data": [body_data(item) for item in data], "next_cursor": next_cursor})


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
