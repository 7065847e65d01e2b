"""`/v1/children`: placeholder until the resource is implemented."""

from __future__ import annotations

from dmi_api.routers import make_router

router = make_router(
    tag="children", prefix="/v1/children", errors=(401, 403, 404, 409, 412, 422, 428)
)
