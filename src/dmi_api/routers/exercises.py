"""`/v1/exercises`: placeholder until the resource is implemented."""

from __future__ import annotations

from dmi_api.routers import make_router

router = make_router(
    tag="exercises", prefix="/v1/exercises", errors=(401, 403, 404, 409, 412, 422, 428)
)
