"""`/v1/practitioners`: the clinic's therapists."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from dmi_api.auth.dependencies import Caller, require
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes, viewed
from dmi_api.routers.resource_support import ListParams, page_response
from dmi_api.schemas.base import ExternalId
from dmi_api.schemas.common import Page
from dmi_api.schemas.practitioners import (
    Discipline,
    PractitionerCreate,
    PractitionerPatch,
    PractitionerPublic,
)
from dmi_api.services import practitioners as service

router = make_router(tag="practitioners", prefix="/v1/practitioners")
Reader = Annotated[Caller, require("practitioners:read")]
RESOURCE = service.RESOURCE


@router.get("", response_model=Page[PractitionerPublic], summary="List practitioners")
async def list_practitioners(
    caller: Reader,
    request: Request,
    query: ListParams,
    active: bool | None = None,
    discipline: Discipline | None = None,
    external_id: Annotated[ExternalId | None, Query()] = None,
) -> JSONResponse:
    """List the clinic's practitioners; `updated_since` includes tombstones for sync."""
    rows, next_cursor = await service.list_rows(
        caller.tenant,
        query=query,
        codec=request.app.state.cursor_codec,
        active=active,
        discipline=discipline,
        external_id=external_id,
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
