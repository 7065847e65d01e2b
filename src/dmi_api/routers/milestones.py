"""`/v1/milestones` (and `/v1/children/{child_id}/milestones`): gross-motor milestone observations.

The router has no prefix because the nested child list lives here too: one module owns the
resource's routes, under its own tag.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from dmi_api.auth.dependencies import Caller, require
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import MILESTONES
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes
from dmi_api.routers.resource_support import page_response
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


ROUTES = ResourceRoutes(
    router, "milestone", URL, "milestones", service.get, service.public_view, noun="observation"
)
ROUTES.add_create(
    MilestoneCreate,
    MilestonePublic,
    "Record a milestone observation",
    "Record an observation of a child's milestone; retry safely with `Idempotency-Key`.",
    service.create,
    "Record a milestone observation of a child",
)
ROUTES.add_item(MilestonePublic, MilestonePatch, service.update, service.delete)
