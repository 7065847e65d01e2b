"""`/v1/assessments` (and `/v1/children/{child_id}/assessments`): instruments administered.

The router has no prefix because the nested child list lives here too: one module owns the
resource and its scopes.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from dmi_api.auth.dependencies import Caller, require
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import ASSESSMENTS
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes
from dmi_api.routers.resource_support import page_response
from dmi_api.schemas.assessments import AssessmentCreate, AssessmentPatch, AssessmentPublic
from dmi_api.schemas.base import IsoDate
from dmi_api.schemas.common import Page
from dmi_api.services import assessments as service

router = make_router(tag="assessments")
URL = "/v1/assessments"
Reader = Annotated[Caller, require("assessments:read")]
From = Annotated[
    IsoDate | None, Query(alias="from", description="performed on or after this date (inclusive)")
]
To = Annotated[
    IsoDate | None, Query(alias="to", description="performed before this date (exclusive)")
]
RESOURCE = service.RESOURCE

if TYPE_CHECKING:
    AssessmentListQuery = ListParameters
    ChildAssessmentListQuery = ListParameters
else:
    AssessmentListQuery = ASSESSMENTS.model("AssessmentListQuery")
    ChildAssessmentListQuery = ASSESSMENTS.model("ChildAssessmentListQuery", without=("child_id",))


@router.get(URL, response_model=Page[AssessmentPublic], summary="List assessments")
async def list_assessments(
    caller: Reader,
    request: Request,
    params: Annotated[AssessmentListQuery, Query()],
) -> JSONResponse:
    """List the clinic's assessments; `updated_since` includes tombstones for sync."""
    rows, next_cursor = await service.list_rows(
        caller.tenant,
        query=params.page(),
        codec=request.app.state.cursor_codec,
        filters=ASSESSMENTS.values(params),
    )
    caller.audit("list", RESOURCE, child_id=params.value("child_id"))
    return page_response(request, await service.public_views(caller.tenant, rows), next_cursor)


@router.get(
    "/v1/children/{child_id}/assessments",
    response_model=Page[AssessmentPublic],
    summary="List a child's assessments",
)
async def list_child_assessments(
    caller: Reader,
    request: Request,
    child_id: uuid.UUID,
    params: Annotated[ChildAssessmentListQuery, Query()],
) -> JSONResponse:
    """One child's assessments; 404 if the child is not the clinic's."""
    child = await service.live_child(caller.tenant, child_id)
    rows, next_cursor = await service.list_rows(
        caller.tenant,
        query=params.page(),
        codec=request.app.state.cursor_codec,
        filters=ASSESSMENTS.values(params, child_id=child.id),
    )
    caller.audit("list", RESOURCE, child_id=child.id)
    return page_response(request, await service.public_views(caller.tenant, rows), next_cursor)


ROUTES = ResourceRoutes(router, "assessment", URL, "assessments", service.get, service.public_view)
ROUTES.add_create(
    AssessmentCreate,
    AssessmentPublic,
    "Record an assessment",
    "Record an assessment with its items (all or none); retry safely with `Idempotency-Key`.",
    service.create,
    "Record an assessment of a child",
)
ROUTES.add_item(
    AssessmentPublic,
    AssessmentPatch,
    service.update,
    service.delete,
    patch="Change the fields sent (final → draft: 422 at `#/status`); needs `If-Match`.",
)
