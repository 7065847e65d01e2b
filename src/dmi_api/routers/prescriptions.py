"""`/v1/prescriptions` (and `/v1/children/{child_id}/prescriptions`): children's exercise programs.

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
from dmi_api.queries.lists import PRESCRIPTIONS
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes
from dmi_api.routers.resource_support import page_response
from dmi_api.schemas.common import Page
from dmi_api.schemas.prescriptions import (
    PrescriptionCreate,
    PrescriptionPatch,
    PrescriptionPublic,
)
from dmi_api.services import prescriptions as service

router = make_router(tag="prescriptions")
URL = "/v1/prescriptions"
Reader = Annotated[Caller, require("prescriptions:read")]
RESOURCE = service.RESOURCE

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


ROUTES = ResourceRoutes(
    router, "prescription", URL, "prescriptions", service.get, service.public_view
)
ROUTES.add_create(
    PrescriptionCreate,
    PrescriptionPublic,
    "Prescribe a program",
    "Prescribe exercises to a child (all items or none); retry safely with `Idempotency-Key`.",
    service.create,
    "Prescribe a program to a child",
)
ROUTES.add_item(
    PrescriptionPublic,
    PrescriptionPatch,
    service.update,
    service.delete,
    get="One prescription with its items and ETag (`If-None-Match` → 304).",
    patch="Change fields, status (bad transition: 422 at `#/status`) or items; needs `If-Match`.",
    versions=(
        "Every version of the prescription with its items then, oldest first, a page at a time."
    ),
)
