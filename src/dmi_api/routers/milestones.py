"""`/v1/milestones`: placeholder until the resource is implemented."""

from __future__ import annotations

from dmi_api.routers import make_router

router = make_router(
    tag="milestones", prefix="/v1/milestones", errors=(401, 403, 404, 409, 412, 422, 428)
)
