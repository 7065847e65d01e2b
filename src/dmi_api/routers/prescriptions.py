"""`/v1/prescriptions` (and `/v1/children/{child_id}/prescriptions`): children's exercise programs.

The router has no prefix because the nested child list lives here too: one module owns the
resource and its scopes.
"""

from __future__ import annotations

from dmi_api.queries.lists import PRESCRIPTIONS
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes
from dmi_api.schemas.prescriptions import (
    PrescriptionCreate,
    PrescriptionPatch,
    PrescriptionPublic,
)
from dmi_api.services import prescriptions as service

router = make_router(tag="prescriptions")
URL = "/v1/prescriptions"

ROUTES = ResourceRoutes(
    router, "prescription", URL, "prescriptions", service.get, service.public_view
)
ROUTES.add_list(
    PRESCRIPTIONS,
    PrescriptionPublic,
    service.list_public,
    "List prescriptions",
    "List prescriptions with their items; `updated_since` includes tombstones for sync.",
    child=(
        "List a child's prescriptions",
        "One child's prescriptions with their items; 404 if the child is not the clinic's.",
    ),
)
ROUTES.add_create(
    PrescriptionCreate,
    PrescriptionPublic,
    "Prescribe a program",
    "Prescribe exercises to a child (all items or none); retry safely with `Idempotency-Key`.",
    service.create,
    "Prescribe a program to a child",
)
ROUTES.add_item(
    PrescriptionPublic,
    PrescriptionPatch,
    service.update,
    service.delete,
    get="One prescription with its items and ETag (`If-None-Match` → 304).",
    patch="Change fields, status (bad transition: 422 at `#/status`) or items; needs `If-Match`.",
    versions=(
        "Every version of the prescription with its items then, oldest first, a page at a time."
    ),
)
