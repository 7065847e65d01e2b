"""`/v1/milestones` (and `/v1/children/{child_id}/milestones`): gross-motor milestone observations.

The router has no prefix because the nested child list lives here too: one module owns the
resource's routes, under its own tag.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse, Response

from dmi_api.auth.dependencies import Caller, require
from dmi_api.http.conditional import etag, require_if_match
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import MILESTONES
from dmi_api.routers import make_router
from dmi_api.routers.child_creates import Created, add_child_create
from dmi_api.routers.resource_support import (
    IF_MATCH_DOC,
    IdempotencyKeyHeader,
    PageParams,
    idempotent_create,
    json_body,
    page_response,
    resource_response,
    versions_page,
)
from dmi_api.schemas.base import VersionPublic
from dmi_api.schemas.common import Page
from dmi_api.schemas.milestones import (
    MilestoneCreate,
    MilestonePatch,
    MilestonePublic,
)
from dmi_api.services import children as child_service
from dmi_api.services import milestones as service

router = make_router(tag="milestones")
URL = "/v1/milestones"
Reader = Annotated[Caller, require("milestones:read")]
Writer = Annotated[Caller, require("milestones:write")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC)]
RESOURCE = service.RESOURCE

if TYPE_CHECKING:
    MilestoneListQuery = ListParameters
    ChildMilestoneListQuery = ListParameters
else:
    MilestoneListQuery = MILESTONES.model("MilestoneListQuery")
    ChildMilestoneListQuery = MILESTONES.model("ChildMilestoneListQuery", without=("child_id",))


@router.get(URL, response_model=Page[MilestonePublic], summary="List milestone observations")
async def list_milestones(
    caller: Reader,
    request: Request,
    params: Annotated[MilestoneListQuery, Query()],
) -> JSONResponse:
    """List the clinic's milestone observations; `updated_since` includes tombstones for sync."""
    rows, next_cursor = await service.list_rows(
        caller.tenant,
        query=params.page(),
        codec=request.app.state.cursor_codec,
        filters=MILESTONES.values(params),
    )
    caller.audit("list", RESOURCE, child_id=params.value("child_id"))
    return page_response(request, await service.public_views(caller.tenant, rows), next_cursor)


@router.get(
    "/v1/children/{child_id}/milestones",
    response_model=Page[MilestonePublic],
    summary="List a child's milestone observations",
)
async def list_child_milestones(
    caller: Reader,
    request: Request,
    child_id: uuid.UUID,
    params: Annotated[ChildMilestoneListQuery, Query()],
) -> JSONResponse:
    """The milestone observations of one child of the clinic (404 for any other child)."""
    child = await child_service.get(caller.tenant, child_id)
    rows, next_cursor = await service.list_rows(
        caller.tenant,
        query=params.page(),
        codec=request.app.state.cursor_codec,
        filters=MILESTONES.values(params, child_id=child.id),
    )
    caller.audit("list", RESOURCE, child_id=child.id)
    return page_response(request, await service.public_views(caller.tenant, rows), next_cursor)


@router.post(
    URL, status_code=201, response_model=MilestonePublic, summary="Record a milestone observation"
)
async def create_milestone(
    caller: Writer,
    request: Request,
    payload: MilestoneCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Record an observation of a child's milestone; retry safely with `Idempotency-Key`."""

    async def create() -> Created:
        return await _create(caller, payload)

    return await idempotent_create(caller, request, idempotency_key, payload, create)


async def _create(caller: Caller, payload: MilestoneCreate) -> Created:
    """Create, audit, and answer as both POSTs do."""
    row = await service.create(caller.tenant, payload=payload, client_id=caller.principal.client_id)
    caller.audit("create", RESOURCE, outcome=201, resource_id=row.id, child_id=row.child_id)
    headers = {"ETag": etag(row.version), "Location": f"{URL}/{row.id}"}
    return 201, json_body(await service.public_view(caller.tenant, row)), headers


add_child_create(
    router,
    collection="milestones",
    body=MilestoneCreate,
    response_model=MilestonePublic,
    scope="milestones:write",
    summary="Record a milestone observation of a child",
    create=_create,
)


@router.get(
    f"{URL}/{{milestone_id}}", response_model=MilestonePublic, summary="Get a milestone observation"
)
async def get_milestone(caller: Reader, request: Request, milestone_id: uuid.UUID) -> Response:
    """One observation, with its ETag (`If-None-Match` → 304)."""
    row = await service.get(caller.tenant, milestone_id)
    caller.audit("read", RESOURCE, resource_id=row.id, child_id=row.child_id)
    return resource_response(request, row, await service.public_view(caller.tenant, row))


@router.patch(
    f"{URL}/{{milestone_id}}",
    response_model=MilestonePublic,
    summary="Change a milestone observation",
)
async def patch_milestone(
    caller: Writer,
    request: Request,
    milestone_id: uuid.UUID,
    payload: MilestonePatch,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent; needs `If-Match`."""
    row = await service.get(caller.tenant, milestone_id, for_update=True)
    require_if_match(request, row.version)
    row = await service.update(
        caller.tenant, row=row, patch=payload, client_id=caller.principal.client_id
    )
    caller.audit("update", RESOURCE, resource_id=row.id, child_id=row.child_id)
    return resource_response(request, row, await service.public_view(caller.tenant, row))


@router.delete(f"{URL}/{{milestone_id}}", status_code=204, summary="Delete a milestone observation")
async def delete_milestone(
    caller: Writer, request: Request, milestone_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Tombstone an observation (it stays in `updated_since` feeds); needs `If-Match`."""
    row = await service.get(caller.tenant, milestone_id, for_update=True)
    require_if_match(request, row.version)
    await service.delete(caller.tenant, row=row, client_id=caller.principal.client_id)
    caller.audit("delete", RESOURCE, resource_id=row.id, child_id=row.child_id, outcome=204)
    return Response(status_code=204)


@router.get(
    f"{URL}/{{milestone_id}}/versions",
    response_model=Page[VersionPublic],
    summary="Version history",
)
async def milestone_versions(
    caller: Reader, request: Request, milestone_id: uuid.UUID, page: PageParams
) -> JSONResponse:
    """Every version of the observation, oldest first, a page at a time."""
    row = await service.get(caller.tenant, milestone_id)
    return await versions_page(
        caller, request, page, resource_type=RESOURCE, resource_id=row.id, child_id=row.child_id
    )
