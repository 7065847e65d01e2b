"""`/v1/exercises`: the clinic's own exercise library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from dmi_api.auth.dependencies import Caller, require
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import EXERCISES
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes, viewed
from dmi_api.routers.resource_support import page_response
from dmi_api.schemas.common import Page
from dmi_api.schemas.exercises import (
    ExerciseCreate,
    ExercisePatch,
    ExercisePublic,
)
from dmi_api.services import exercises as service

router = make_router(tag="exercises", prefix="/v1/exercises")
Reader = Annotated[Caller, require("exercises:read")]
RESOURCE = service.RESOURCE

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


ROUTES = ResourceRoutes(router, "exercise", "", "exercises", service.get, viewed(service.to_public))
ROUTES.add_create(
    ExerciseCreate,
    ExercisePublic,
    "Add an exercise",
    "Add an exercise (its `code` must be new: 409); retry safely with `Idempotency-Key`.",
    service.create,
)
ROUTES.add_item(
    ExercisePublic,
    ExercisePatch,
    service.update,
    service.delete,
    delete="Tombstone an exercise (prescriptions naming it stay valid); needs `If-Match`.",
)
