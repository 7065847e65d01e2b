"""`/v1/practitioners`: the clinic's therapists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from dmi_api.auth.dependencies import Caller, require
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import PRACTITIONERS
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes, viewed
from dmi_api.routers.resource_support import page_response
from dmi_api.schemas.common import Page
from dmi_api.schemas.practitioners import (
    PractitionerCreate,
    PractitionerPatch,
    PractitionerPublic,
)
from dmi_api.services import practitioners as service

router = make_router(tag="practitioners", prefix="/v1/practitioners")
Reader = Annotated[Caller, require("practitioners:read")]
RESOURCE = service.RESOURCE

if TYPE_CHECKING:
    PractitionerListQuery = ListParameters
else:
    PractitionerListQuery = PRACTITIONERS.model("PractitionerListQuery")


@router.get("", response_model=Page[PractitionerPublic], summary="List practitioners")
async def list_practitioners(
    caller: Reader,
    request: Request,
    params: Annotated[PractitionerListQuery, Query()],
) -> JSONResponse:
    """List the clinic's practitioners; `updated_since` includes tombstones for sync."""
    rows, next_cursor = await service.list_rows(
        caller.tenant,
        query=params.page(),
        codec=request.app.state.cursor_codec,
        filters=PRACTITIONERS.values(params),
    )
    caller.audit("list", RESOURCE)
    return page_response(request, [service.to_public(row) for row in rows], next_cursor)


ROUTES = ResourceRoutes(
    router, "practitioner", "", "practitioners", service.get, viewed(service.to_public)
)
ROUTES.add_create(
    PractitionerCreate,
    PractitionerPublic,
    "Add a practitioner",
    "Add a practitioner; retry safely with `Idempotency-Key`.",
    service.create,
)
ROUTES.add_item(PractitionerPublic, PractitionerPatch, service.update, service.delete)
