"""`/v1/assessments` (and `/v1/children/{child_id}/assessments`): instruments administered.

The router has no prefix because the nested child list lives here too: one module owns the
resource and its scopes.
"""

from __future__ import annotations

from dmi_api.queries.lists import ASSESSMENTS
from dmi_api.routers import make_router
from dmi_api.routers.resource_routes import ResourceRoutes, paged
from dmi_api.schemas.assessments import AssessmentCreate, AssessmentPatch, AssessmentPublic
from dmi_api.services import assessments as service

router = make_router(tag="assessments")
URL = "/v1/assessments"

ROUTES = ResourceRoutes(router, "assessment", URL, "assessments", service.get, service.public_view)
ROUTES.add_list(
    ASSESSMENTS,
    AssessmentPublic,
    paged(service.list_rows, service.public_views),
    "List assessments",
    "List the clinic's assessments; `updated_since` includes tombstones for sync.",
    child=(
        "List a child's assessments",
        "One child's assessments; 404 if the child is not the clinic's.",
    ),
)
ROUTES.add_create(
    AssessmentCreate,
    AssessmentPublic,
    "Record an assessment",
    "Record an assessment with its items (all or none); retry safely with `Idempotency-Key`.",
    service.create,
    "Record an assessment of a child",
)
ROUTES.add_item(
    AssessmentPublic,
    AssessmentPatch,
    service.update,
    service.delete,
    patch="Change the fields sent (final → draft: 422 at `#/status`); needs `If-Match`.",
)
