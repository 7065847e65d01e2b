"""`/v1/milestones` (and `/v1/children/{child_id}/milestones`): gross-motor milestone observations.

The router has no prefix because the nested child list lives here too: one module owns the
resource's routes, under its own tag.
"""

from __future__ import annotations

from dmi_api.queries.lists import MILESTONES
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes, paged
from dmi_api.schemas.milestones import (
    MilestoneCreate,
    MilestonePatch,
    MilestonePublic,
)
from dmi_api.services import milestones as service

router = make_router(tag="milestones")
URL = "/v1/milestones"

ROUTES = ResourceRoutes(
    router, "milestone", URL, "milestones", service.get, service.public_view, noun="observation"
)
ROUTES.add_list(
    MILESTONES,
    MilestonePublic,
    paged(service.list_rows, service.public_views),
    "List milestone observations",
    "List the clinic's milestone observations; `updated_since` includes tombstones for sync.",
    child=(
        "List a child's milestone observations",
        "The milestone observations of one child of the clinic (404 for any other child).",
    ),
)
ROUTES.add_create(
    MilestoneCreate,
    MilestonePublic,
    "Record a milestone observation",
    "Record an observation of a child's milestone; retry safely with `Idempotency-Key`.",
    service.create,
    "Record a milestone observation of a child",
)
ROUTES.add_item(MilestonePublic, MilestonePatch, service.update, service.delete)
