"""`/v1/exercises`: the clinic's own exercise library."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse, Response

from dmi_api.auth.dependencies import Caller, require
from dmi_api.http.conditional import etag, require_if_match
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import EXERCISES
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
from dmi_api.schemas.exercises import (
    ExerciseCreate,
    ExercisePatch,
    ExercisePublic,
)
from dmi_api.services import exercises as service

router = make_router(tag="exercises", prefix="/v1/exercises")
Reader = Annotated[Caller, require("exercises:read")]
Writer = Annotated[Caller, require("exercises:write")]
RESOURCE = service.RESOURCE
IfMatch = Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC)]

if TYPE_CHECKING:
    ExerciseListQuery = ListParameters
else:
    ExerciseListQuery = EXERCISES.model("ExerciseListQuery")


@router.get("", response_model=Page[ExercisePublic], summary="List exercises")
async def list_exercises(
    caller: Reader,
    request: Request,
    params: Annotated[ExerciseListQuery, Query()],
) -> JSONResponse:
    """List the clinic's exercise library; `updated_since` includes tombstones for sync."""
    rows, next_cursor = await service.list_rows(
        caller.tenant,
        query=params.page(),
        codec=request.app.state.cursor_codec,
        filters=EXERCISES.values(params),
    )
    caller.audit("list", RESOURCE)
    return page_response(request, [service.to_public(row) for row in rows], next_cursor)


@router.post("", status_code=201, response_model=ExercisePublic, summary="Add an exercise")
async def create_exercise(
    caller: Writer,
    request: Request,
    payload: ExerciseCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Add an exercise (its `code` must be new: 409); retry safely with `Idempotency-Key`."""

    async def create() -> tuple[int, dict[str, object], dict[str, str]]:
        row = await service.create(
            caller.tenant, payload=payload, client_id=caller.principal.client_id
        )
        caller.audit("create", RESOURCE, outcome=201, resource_id=row.id)
        headers = {"ETag": etag(row.version), "Location": f"/v1/exercises/{row.id}"}
        return 201, json_body(service.to_public(row)), headers

    return await idempotent_create(caller, request, idempotency_key, payload, create)


@router.get("/{exercise_id}", response_model=ExercisePublic, summary="Get an exercise")
async def get_exercise(caller: Reader, request: Request, exercise_id: uuid.UUID) -> Response:
    """One exercise, with its ETag (`If-None-Match` → 304)."""
    row = await service.get(caller.tenant, exercise_id)
    caller.audit("read", RESOURCE, resource_id=row.id)
    return resource_response(request, row, service.to_public(row))


@router.patch("/{exercise_id}", response_model=ExercisePublic, summary="Change an exercise")
async def patch_exercise(
    caller: Writer,
    request: Request,
    exercise_id: uuid.UUID,
    payload: ExercisePatch,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent; needs `If-Match`."""
    row = await service.get(caller.tenant, exercise_id, for_update=True)
    require_if_match(request, row.version)
    row = await service.update(
        caller.tenant, row=row, patch=payload, client_id=caller.principal.client_id
    )
    caller.audit("update", RESOURCE, resource_id=row.id)
    return resource_response(request, row, service.to_public(row))


@router.delete("/{exercise_id}", status_code=204, summary="Delete an exercise")
async def delete_exercise(
    caller: Writer, request: Request, exercise_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Tombstone an exercise (prescriptions naming it stay valid); needs `If-Match`."""
    row = await service.get(caller.tenant, exercise_id, for_update=True)
    require_if_match(request, row.version)
    await service.delete(caller.tenant, row=row, client_id=caller.principal.client_id)
    caller.audit("delete", RESOURCE, resource_id=row.id, outcome=204)
    return Response(status_code=204)


@router.get(
    "/{exercise_id}/versions",
    response_model=Page[VersionPublic],
    summary="Version history",
)
async def exercise_versions(
    caller: Reader, request: Request, exercise_id: uuid.UUID, page: PageParams
) -> JSONResponse:
    """Every version of the exercise, oldest first, a page at a time."""
    row = await service.get(caller.tenant, exercise_id)
    return await versions_page(caller, request, page, resource_type=RESOURCE, resource_id=row.id)
