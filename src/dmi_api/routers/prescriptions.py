"""`/v1/prescriptions` (and `/v1/children/{child_id}/prescriptions`): children's exercise programs.

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
from dmi_api.queries.lists import PRESCRIPTIONS
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
from dmi_api.schemas.prescriptions import (
    PrescriptionCreate,
    PrescriptionPatch,
    PrescriptionPublic,
)
from dmi_api.services import prescriptions as service

router = make_router(tag="prescriptions")
URL = "/v1/prescriptions"
ITEM_URL = URL + "/{prescription_id}"
Reader = Annotated[Caller, require("prescriptions:read")]
Writer = Annotated[Caller, require("prescriptions:write")]
RESOURCE = service.RESOURCE
IfMatch = Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC)]

if TYPE_CHECKING:
    PrescriptionListQuery = ListParameters
    ChildPrescriptionListQuery = ListParameters
else:
    PrescriptionListQuery = PRESCRIPTIONS.model("PrescriptionListQuery")
    ChildPrescriptionListQuery = PRESCRIPTIONS.model(
        "ChildPrescriptionListQuery", without=("child_id",)
    )


@router.get(URL, response_model=Page[PrescriptionPublic], summary="List prescriptions")
async def list_prescriptions(
    caller: Reader,
    request: Request,
    params: Annotated[PrescriptionListQuery, Query()],
) -> JSONResponse:
    """List prescriptions with their items; `updated_since` includes tombstones for sync."""
    data, next_cursor = await service.list_public(
        caller.tenant,
        query=params.page(),
        codec=request.app.state.cursor_codec,
        filters=PRESCRIPTIONS.values(params),
    )
    caller.audit("list", RESOURCE, child_id=params.value("child_id"))
    return page_response(request, list(data), next_cursor)


@router.get(
    "/v1/children/{child_id}/prescriptions",
    response_model=Page[PrescriptionPublic],
    summary="List a child's prescriptions",
)
async def list_child_prescriptions(
    caller: Reader,
    request: Request,
    child_id: uuid.UUID,
    params: Annotated[ChildPrescriptionListQuery, Query()],
) -> JSONResponse:
    """One child's prescriptions with their items; 404 if the child is not the clinic's."""
    child = await service.live_child(caller.tenant, child_id)
    data, next_cursor = await service.list_public(
        caller.tenant,
        query=params.page(),
        codec=request.app.state.cursor_codec,
        filters=PRESCRIPTIONS.values(params, child_id=child.id),
    )
    caller.audit("list", RESOURCE, child_id=child.id)
    return page_response(request, list(data), next_cursor)


@router.post(URL, status_code=201, response_model=PrescriptionPublic, summary="Prescribe a program")
async def create_prescription(
    caller: Writer,
    request: Request,
    payload: PrescriptionCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Prescribe exercises to a child (all items or none); retry safely with `Idempotency-Key`."""

    async def create() -> Created:
        return await _create(caller, payload)

    return await idempotent_create(caller, request, idempotency_key, payload, create)


async def _create(caller: Caller, payload: PrescriptionCreate) -> Created:
    """Create, audit, and answer as both POSTs do."""
    row, items = await service.create(
        caller.tenant, payload=payload, client_id=caller.principal.client_id
    )
    caller.audit("create", RESOURCE, outcome=201, resource_id=row.id, child_id=row.child_id)
    headers = {"ETag": etag(row.version), "Location": f"{URL}/{row.id}"}
    return 201, json_body(service.to_public(row, items)), headers


add_child_create(
    router,
    collection="prescriptions",
    body=PrescriptionCreate,
    response_model=PrescriptionPublic,
    scope="prescriptions:write",
    summary="Prescribe a program to a child",
    create=_create,
)


@router.get(ITEM_URL, response_model=PrescriptionPublic, summary="Get a prescription")
async def get_prescription(
    caller: Reader, request: Request, prescription_id: uuid.UUID
) -> Response:
    """One prescription with its items and ETag (`If-None-Match` → 304)."""
    row = await service.get(caller.tenant, prescription_id)
    items = await service.items_of(caller.tenant, row)
    caller.audit("read", RESOURCE, resource_id=row.id, child_id=row.child_id)
    return resource_response(request, row, service.to_public(row, items))


@router.patch(ITEM_URL, response_model=PrescriptionPublic, summary="Change a prescription")
async def patch_prescription(
    caller: Writer,
    request: Request,
    prescription_id: uuid.UUID,
    payload: PrescriptionPatch,
    if_match: IfMatch = None,
) -> Response:
    """Change fields, status (bad transition: 422 at `#/status`) or items; needs `If-Match`."""
    row = await service.get(caller.tenant, prescription_id, for_update=True)
    require_if_match(request, row.version)
    row, items = await service.update(
        caller.tenant, row=row, patch=payload, client_id=caller.principal.client_id
    )
    caller.audit("update", RESOURCE, resource_id=row.id, child_id=row.child_id)
    return resource_response(request, row, service.to_public(row, items))


@router.delete(ITEM_URL, status_code=204, summary="Delete a prescription")
async def delete_prescription(
    caller: Writer, request: Request, prescription_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Tombstone a prescription (it stays in `updated_since` feeds); needs `If-Match`."""
    row = await service.get(caller.tenant, prescription_id, for_update=True)
    require_if_match(request, row.version)
    await service.delete(caller.tenant, row=row, client_id=caller.principal.client_id)
    caller.audit("delete", RESOURCE, resource_id=row.id, child_id=row.child_id, outcome=204)
    return Response(status_code=204)


@router.get(
    ITEM_URL + "/versions",
    response_model=Page[VersionPublic],
    summary="Version history",
)
async def prescription_versions(
    caller: Reader, request: Request, prescription_id: uuid.UUID, page: PageParams
) -> JSONResponse:
    """Every version of the prescription with its items then, oldest first, a page at a time."""
    row = await service.get(caller.tenant, prescription_id)
    return await versions_page(
        caller, request, page, resource_type=RESOURCE, resource_id=row.id, child_id=row.child_id
    )
