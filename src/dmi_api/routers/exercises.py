"""`/v1/exercises`: the clinic's own exercise library."""

from __future__ import annotations

from dmi_api.queries.lists import EXERCISES
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes, listed_as, paged, viewed
from dmi_api.schemas.exercises import (
    ExerciseCreate,
    ExercisePatch,
    ExercisePublic,
)
from dmi_api.services import exercises as service

router = make_router(tag="exercises", prefix="/v1/exercises")

ROUTES = ResourceRoutes(router, "exercise", "", "exercises", service.get, viewed(service.to_public))
ROUTES.add_list(
    EXERCISES,
    ExercisePublic,
    paged(service.list_rows, listed_as(service.to_public)),
    "List exercises",
    "List the clinic's exercise library; `updated_since` includes tombstones for sync.",
)
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
