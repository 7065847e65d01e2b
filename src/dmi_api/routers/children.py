"""`/v1/children`: the clinic's patients, with an upsert by the EHR's MRN."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from dmi_api.auth.dependencies import Caller, caller_session, require, require_token
from dmi_api.auth.principal import Principal
from dmi_api.direct import children as direct_children
from dmi_api.direct.bound_db import direct_db
from dmi_api.errors import PreconditionFailedError, ValidationProblemError
from dmi_api.http.conditional import etag, read_if_match, require_if_match
from dmi_api.pagination import MAX_LIMIT
from dmi_api.routers import make_router
from dmi_api.routers.params import DEFAULT_PAGE_SIZE
from dmi_api.routers.resource_routes import ResourceRoutes
from dmi_api.routers.resource_support import (
    IdempotencyKeyHeader,
    IfMatch,
    idempotent_create,
    json_body,
    page_response,
    resource_response,
    versioned_response,
)
from dmi_api.schemas.base import ExternalId, IsoDate, UtcInstant
from dmi_api.schemas.children import (
    ChildCreate,
    ChildPatch,
    ChildPublic,
    ChildReplace,
    ChildStatus,
)
from dmi_api.schemas.common import (
    CURSOR_DOC,
    CURSOR_MAX_LENGTH,
    CURSOR_MIN_LENGTH,
    CURSOR_PATTERN,
    Page,
)
from dmi_api.services import children as service
from dmi_api.services.resources import ListQuery, SortKey

router = make_router(tag="children", prefix="/v1/children")
# The hot reads: the token here, the client and the rows in one statement (dmi_api.direct).
ReadToken = Annotated[Principal, require_token("children:read")]
Writer = Annotated[Caller, require("children:write")]
RESOURCE = service.RESOURCE
UPSERT_DOC = (
    "Create or replace the child with this external_id (the EHR's MRN). Creating answers 201 "
    "(no If-Match allowed: 412); replacing a live child answers 200 and needs If-Match. A deleted "
    "child with this external_id is revived under its old id (201). Idempotency-Key replays the "
    "first response of either branch."
)


class ChildListQuery(BaseModel):
    """The list's query string, validated as one model (one step instead of one per field)."""

    status: ChildStatus | None = None
    external_id: ExternalId | None = None
    birth_date_from: IsoDate | None = Field(
        default=None, description="born on or after this date (inclusive)"
    )
    birth_date_to: IsoDate | None = Field(
        default=None, description="born before this date (exclusive)"
    )
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_LIMIT, description="page size")
    cursor: str | None = Field(
        default=None,
        pattern=CURSOR_PATTERN,
        min_length=CURSOR_MIN_LENGTH,
        max_length=CURSOR_MAX_LENGTH,
        description=CURSOR_DOC,
    )
    sort: SortKey = Field(default="updated_at", description="order; `-` for descending")
    updated_since: UtcInstant | None = Field(
        default=None, description="only rows changed at or after this instant, tombstones included"
    )

    def page(self) -> ListQuery:
        """The common list parameters."""
        return ListQuery(
            limit=self.limit, cursor=self.cursor, sort=self.sort, updated_since=self.updated_since
        )

    def filters(self) -> service.ChildFilters:
        """The filters, for either path."""
        return service.ChildFilters(
            status=self.status,
            external_id=self.external_id,
            birth_date_from=self.birth_date_from,
            birth_date_to=self.birth_date_to,
        )


@router.get("", response_model=Page[ChildPublic], summary="List children")
async def list_children(
    principal: ReadToken, request: Request, params: Annotated[ChildListQuery, Query()]
) -> JSONResponse:
    """List the clinic's children; `updated_since` includes tombstones for sync."""
    if (
        params.birth_date_from
        and params.birth_date_to
        and params.birth_date_to < params.birth_date_from
    ):
        raise ValidationProblemError(
            [
                {
                    "location": "query",
                    "pointer": "#/birth_date_to",
                    "detail": "The end of the range is before its start.",
                    "code": "before_start",
                }
            ]
        )
    codec = request.app.state.cursor_codec
    query, filters = params.page(), params.filters()
    if (direct := direct_db(request)) is not None:
        bodies, next_cursor = await direct_children.list_children(
            direct, principal, query=query, codec=codec, filters=filters
        )
        return page_response(request, bodies, next_cursor)
    async with caller_session(request, principal) as caller:
        rows, next_cursor = await service.list_rows(
            caller.tenant, query=query, codec=codec, filters=filters
        )
        caller.audit("list", RESOURCE)
        bodies = await service.plain_views(caller.tenant, rows)
    return page_response(request, bodies, next_cursor)


ROUTES = ResourceRoutes(router, "child", "", "children", service.get, service.public_view)
ROUTES.add_create(
    ChildCreate,
    ChildPublic,
    "Add a child",
    "Add a child; retry safely with `Idempotency-Key`.",
    service.create,
)


@router.put(
    "/by-external-id/{external_id}",
    response_model=ChildPublic,
    responses={201: {"model": ChildPublic, "description": "Created (or revived)"}},
    summary="Create or replace a child by external_id",
    description=UPSERT_DOC,
)
async def upsert_child(
    caller: Writer,
    request: Request,
    external_id: Annotated[ExternalId, Path()],
    payload: ChildReplace,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Create or replace the child with this external_id (upsert from the EHR)."""

    def precondition(live_version: int | None) -> None:
        if live_version is not None:
            require_if_match(request, live_version)
        elif read_if_match(request) is not None:
            # RFC 9110 §13.1.1: If-Match is false when there is no current representation.
            raise PreconditionFailedError("No child has this external_id; send no If-Match.")

    async def upsert() -> tuple[int, dict[str, object], dict[str, str]]:
        row, created = await service.upsert(
            caller.tenant,
            external_id=external_id,
            payload=payload,
            precondition=precondition,
            client_id=caller.principal.client_id,
        )
        headers = {"ETag": etag(row.version)}
        if created:
            headers["Location"] = f"/v1/children/{row.id}"
        status = 201 if created else 200
        caller.audit(
            "create" if created else "update",
            RESOURCE,
            outcome=status,
            resource_id=row.id,
            child_id=row.id,
        )
        return status, json_body(await service.public_view(caller.tenant, row)), headers

    return await idempotent_create(caller, request, idempotency_key, payload, upsert)


@router.get("/{child_id}", response_model=ChildPublic, summary="Get a child")
async def get_child(principal: ReadToken, request: Request, child_id: uuid.UUID) -> Response:
    """One child, with its ETag (`If-None-Match` → 304)."""
    if (direct := direct_db(request)) is not None:
        found = await direct_children.get_child(direct, principal, child_id)
        return versioned_response(request, found.version, found.body)
    async with caller_session(request, principal) as caller:
        row = await service.get(caller.tenant, child_id)
        caller.audit("read", RESOURCE, resource_id=row.id, child_id=row.id)
        [body] = await service.plain_views(caller.tenant, [row])
    return resource_response(request, row, body)


ROUTES.add_patch(ChildPublic, ChildPatch, service.update)
ROUTES.add_delete(service.delete)
ROUTES.add_versions()
