"""`/v1/session-records`: placeholder until the resource is implemented."""

from __future__ import annotations

from dmi_api.routers import make_router

router = make_router(
    tag="session-records", prefix="/v1/session-records", errors=(401, 403, 404, 409, 412, 422, 428)
)
