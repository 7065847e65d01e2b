"""`/v1/assessments` (and `/v1/children/{child_id}/assessments`): instruments administered.

The router has no prefix because the nested child list lives here too: one module owns the
resource and its scopes.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse, Response

from dmi_api.auth.dependencies import Caller, require
from dmi_api.http.conditional import etag, require_if_match
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import ASSESSMENTS
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
from dmi_api.schemas.assessments import AssessmentCreate, AssessmentPatch, AssessmentPublic
from dmi_api.schemas.base import IsoDate, VersionPublic
from dmi_api.schemas.common import Page
from dmi_api.services import assessments as service

router = make_router(tag="assessments")
URL = "/v1/assessments"
ITEM_URL = URL + "/{assessment_id}"
Reader = Annotated[Caller, require("assessments:read")]
Writer = Annotated[Caller, require("assessments:write")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC)]
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


@router.post(URL, status_code=201, response_model=AssessmentPublic, summary="Record an assessment")
async def create_assessment(
    caller: Writer,
    request: Request,
    payload: AssessmentCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Record an assessment with its items (all or none); retry safely with `Idempotency-Key`."""

    async def create() -> Created:
        return await _create(caller, payload)

    return await idempotent_create(caller, request, idempotency_key, payload, create)


async def _create(caller: Caller, payload: AssessmentCreate) -> Created:
    """Create, audit, and answer as both POSTs do."""
    row = await service.create(caller.tenant, payload=payload, client_id=caller.principal.client_id)
    caller.audit("create", RESOURCE, outcome=201, resource_id=row.id, child_id=row.child_id)
    headers = {"ETag": etag(row.version), "Location": f"{URL}/{row.id}"}
    return 201, json_body(await service.public_view(caller.tenant, row)), headers


add_child_create(
    router,
    collection="assessments",
    body=AssessmentCreate,
    response_model=AssessmentPublic,
    scope="assessments:write",
    summary="Record an assessment of a child",
    create=_create,
)


@router.get(ITEM_URL, response_model=AssessmentPublic, summary="Get an assessment")
async def get_assessment(caller: Reader, request: Request, assessment_id: uuid.UUID) -> Response:
    """One assessment, with its ETag (`If-None-Match` → 304)."""
    row = await service.get(caller.tenant, assessment_id)
    caller.audit("read", RESOURCE, resource_id=row.id, child_id=row.child_id)
    return resource_response(request, row, await service.public_view(caller.tenant, row))


@router.patch(ITEM_URL, response_model=AssessmentPublic, summary="Change an assessment")
async def patch_assessment(
    caller: Writer,
    request: Request,
    assessment_id: uuid.UUID,
    payload: AssessmentPatch,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent (final → draft: 422 at `#/status`); needs `If-Match`."""
    row = await service.get(caller.tenant, assessment_id, for_update=True)
    require_if_match(request, row.version)
    row = await service.update(
        caller.tenant, row=row, patch=payload, client_id=caller.principal.client_id
    )
    caller.audit("update", RESOURCE, resource_id=row.id, child_id=row.child_id)
    return resource_response(request, row, await service.public_view(caller.tenant, row))


@router.delete(ITEM_URL, status_code=204, summary="Delete an assessment")
async def delete_assessment(
    caller: Writer, request: Request, assessment_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Tombstone an assessment (it stays in `updated_since` feeds); needs `If-Match`."""
    row = await service.get(caller.tenant, assessment_id, for_update=True)
    require_if_match(request, row.version)
    await service.delete(caller.tenant, row=row, client_id=caller.principal.client_id)
    caller.audit("delete", RESOURCE, resource_id=row.id, child_id=row.child_id, outcome=204)
    return Response(status_code=204)


@router.get(
    ITEM_URL + "/versions",
    response_model=Page[VersionPublic],
    summary="Version history",
)
async def assessment_versions(
    caller: Reader, request: Request, assessment_id: uuid.UUID, page: PageParams
) -> JSONResponse:
    """Every version of the assessment, oldest first, a page at a time."""
    row = await service.get(caller.tenant, assessment_id)
    return await versions_page(
        caller, request, page, resource_type=RESOURCE, resource_id=row.id, child_id=row.child_id
    )
