"""`/v1/practitioners`: the clinic's therapists."""

from __future__ import annotations

from dmi_api.queries.lists import PRACTITIONERS
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes, listed_as, paged, viewed
from dmi_api.schemas.practitioners import (
    PractitionerCreate,
    PractitionerPatch,
    PractitionerPublic,
)
from dmi_api.services import practitioners as service

router = make_router(tag="practitioners", prefix="/v1/practitioners")

ROUTES = ResourceRoutes(
    router, "practitioner", "", "practitioners", service.get, viewed(service.to_public)
)
ROUTES.add_list(
    PRACTITIONERS,
    PractitionerPublic,
    paged(service.list_rows, listed_as(service.to_public)),
    "List practitioners",
    "List the clinic's practitioners; `updated_since` includes tombstones for sync.",
)
ROUTES.add_create(
    PractitionerCreate,
    PractitionerPublic,
    "Add a practitioner",
    "Add a practitioner; retry safely with `Idempotency-Key`.",
    service.create,
)
ROUTES.add_item(PractitionerPublic, PractitionerPatch, service.update, service.delete)
