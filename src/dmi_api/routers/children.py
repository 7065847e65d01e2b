"""`/v1/children`: the clinic's patients, with an upsert by the EHR's MRN."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse, Response

from dmi_api.auth.dependencies import Caller, require, require_token
from dmi_api.auth.principal import Principal
from dmi_api.errors import PreconditionFailedError
from dmi_api.http.conditional import etag, read_if_match, require_if_match
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import CHILDREN
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes
from dmi_api.routers.resource_support import (
    IdempotencyKeyHeader,
    IfMatch,
    json_body,
    page_response,
    search_page_response,
    versioned_response,
)
from dmi_api.schemas.base import ExternalId
from dmi_api.schemas.children import (
    ChildCreate,
    ChildPatch,
    ChildPublic,
    ChildReplace,
    ChildUpsert,
)
from dmi_api.schemas.common import (
    Page,
)
from dmi_api.services import children as service
from dmi_api.stores import stores
from dmi_api.stores.idempotent import idempotent_create

router = make_router(tag="children", prefix="/v1/children")
# The reads served two ways (`dmi_api.stores`): the token here, the rest in the store.
ReadToken = Annotated[Principal, require_token("children:read")]
Writer = Annotated[Caller, require("children:write")]
RESOURCE = service.RESOURCE
UPSERT_DOC = (
    "Create or replace the child with this external_id (the EHR's MRN). Creating answers 201 "
    "(no If-Match allowed: 412); replacing a live child answers 200 and needs If-Match. A deleted "
    "child with this external_id is revived under its old id (201). Idempotency-Key replays the "
    "first response of either branch."
)


SEARCH_DOC = (
    "The list's filters and page parameters in a JSON body instead of the query string: a "
    "search by name or birth date whose values stay out of URLs (proxies, access logs and "
    "browser histories record URLs). The same rows and cursors as `GET /v1/children`; a field "
    "it does not know is 422. No `Link` header: ask for the next page with the same body and "
    "`cursor`. Costs a read."
)


if TYPE_CHECKING:
    ChildListQuery = ListParameters
    ChildSearch = ListParameters
else:
    ChildListQuery = CHILDREN.model("ChildListQuery")
    ChildSearch = CHILDREN.model("ChildSearch", search=True)


@router.get("", response_model=Page[ChildPublic], summary="List children")
async def list_children(
    principal: ReadToken, request: Request, params: Annotated[ChildListQuery, Query()]
) -> JSONResponse:
    """List the clinic's children; `updated_since` includes tombstones for sync."""
    filters = CHILDREN.values(params)
    bodies, cursor = await stores(request).children.page(request, principal, params.page(), filters)
    return page_response(request, bodies, cursor)


@router.post(
    "/search",
    response_model=Page[ChildPublic],
    summary="Search children (filters in the body)",
    description=SEARCH_DOC,
)
async def search_children(
    principal: ReadToken, request: Request, params: ChildSearch
) -> JSONResponse:
    """`GET /v1/children`'s search with its parameters in the body."""
    filters = CHILDREN.values(params)
    bodies, cursor = await stores(request).children.page(request, principal, params.page(), filters)
    return search_page_response(bodies, cursor)


ROUTES = ResourceRoutes(router, "child", "", "children", service.get, service.public_view)
ROUTES.add_create(
    ChildCreate,
    ChildPublic,
    "Add a child",
    "Add a child; retry safely with `Idempotency-Key`.",
    service.create,
)


UPSERT_BODY_DOC = (
    UPSERT_DOC.replace("this external_id", "the body's external_id", 1)
    + " The MRN stays out of the URL (proxies and access logs record URLs): prefer this to "
    "`PUT /v1/children/by-external-id/{external_id}`."
)


@router.put(
    "/by-external-id",
    response_model=ChildPublic,
    responses={201: {"model": ChildPublic, "description": "Created (or revived)"}},
    summary="Create or replace a child by the external_id in the body",
    description=UPSERT_BODY_DOC,
)
async def upsert_child_by_body(
    caller: Writer,
    request: Request,
    payload: ChildUpsert,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Create or replace the child with the body's external_id (upsert from the EHR)."""
    return await _upsert(caller, request, payload.external_id, payload, idempotency_key)


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
    return await _upsert(caller, request, external_id, payload, idempotency_key)


async def _upsert(
    caller: Caller,
    request: Request,
    external_id: str,
    payload: ChildReplace,
    idempotency_key: str | None,
) -> JSONResponse:
    """The upsert of either route (`If-Match` read from the request)."""

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
        return status, json_body(await service.public_view(caller.tenant, row)), headers

    return await idempotent_create(caller, request, idempotency_key, payload, upsert)


@router.get("/{child_id}", response_model=ChildPublic, summary="Get a child")
async def get_child(principal: ReadToken, request: Request, child_id: uuid.UUID) -> Response:
    """One child, with its ETag (`If-None-Match` → 304)."""
    found = await stores(request).children.get(request, principal, child_id)
    return versioned_response(request, found.version, found.body)


ROUTES.add_patch(ChildPublic, ChildPatch, service.update)
ROUTES.add_delete(service.delete)
ROUTES.add_versions()
