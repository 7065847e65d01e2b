"""`/v1/practitioners`: the clinic's therapists."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse, Response

from dmi_api.auth.dependencies import Caller, require
from dmi_api.http.conditional import etag, require_if_match
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import PRACTITIONERS
from dmi_api.routers import make_router
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
from dmi_api.schemas.practitioners import (
    PractitionerCreate,
    PractitionerPatch,
    PractitionerPublic,
)
from dmi_api.services import practitioners as service

router = make_router(tag="practitioners", prefix="/v1/practitioners")
Reader = Annotated[Caller, require("practitioners:read")]
Writer = Annotated[Caller, require("practitioners:write")]
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


@router.post("", status_code=201, response_model=PractitionerPublic, summary="Add a practitioner")
async def create_practitioner(
    caller: Writer,
    request: Request,
    payload: PractitionerCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Add a practitioner; retry safely with `Idempotency-Key`."""

    async def create() -> tuple[int, dict[str, object], dict[str, str]]:
        row = await service.create(
            caller.tenant, payload=payload, client_id=caller.principal.client_id
        )
        caller.audit("create", RESOURCE, outcome=201, resource_id=row.id)
        headers = {"ETag": etag(row.version), "Location": f"/v1/practitioners/{row.id}"}
        return 201, json_body(service.to_public(row)), headers

    return await idempotent_create(caller, request, idempotency_key, payload, create)


@router.get("/{practitioner_id}", response_model=PractitionerPublic, summary="Get a practitioner")
async def get_practitioner(
    caller: Reader, request: Request, practitioner_id: uuid.UUID
) -> Response:
    """One practitioner, with its ETag (`If-None-Match` → 304)."""
    row = await service.get(caller.tenant, practitioner_id)
    caller.audit("read", RESOURCE, resource_id=row.id)
    return resource_response(request, row, service.to_public(row))


@router.patch(
    "/{practitioner_id}", response_model=PractitionerPublic, summary="Change a practitioner"
)
async def patch_practitioner(
    caller: Writer,
    request: Request,
    practitioner_id: uuid.UUID,
    payload: PractitionerPatch,
    if_match: Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC)] = None,
) -> Response:
    """Change the fields sent; needs `If-Match`."""
    row = await service.get(caller.tenant, practitioner_id, for_update=True)
    require_if_match(request, row.version)
    row = await service.update(
        caller.tenant, row=row, patch=payload, client_id=caller.principal.client_id
    )
    caller.audit("update", RESOURCE, resource_id=row.id)
    return resource_response(request, row, service.to_public(row))


@router.delete("/{practitioner_id}", status_code=204, summary="Delete a practitioner")
async def delete_practitioner(
    caller: Writer,
    request: Request,
    practitioner_id: uuid.UUID,
    if_match: Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC)] = None,
) -> Response:
    """Tombstone a practitioner (it stays in `updated_since` feeds); needs `If-Match`."""
    row = await service.get(caller.tenant, practitioner_id, for_update=True)
    require_if_match(request, row.version)
    await service.delete(caller.tenant, row=row, client_id=caller.principal.client_id)
    caller.audit("delete", RESOURCE, resource_id=row.id, outcome=204)
    return Response(status_code=204)


@router.get(
    "/{practitioner_id}/versions",
    response_model=Page[VersionPublic],
    summary="Version history",
)
async def practitioner_versions(
    caller: Reader, request: Request, practitioner_id: uuid.UUID, page: PageParams
) -> JSONResponse:
    """Every version of the practitioner, oldest first, a page at a time."""
    row = await service.get(caller.tenant, practitioner_id)
    return await versions_page(caller, request, page, resource_type=RESOURCE, resource_id=row.id)
