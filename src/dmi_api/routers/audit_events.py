"""`/v1/audit-events`: the clinic's audit trail, read-only."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Literal

from fastapi import Query

from dmi_api.auth.dependencies import AuditReader
from dmi_api.routers import make_router
from dmi_api.routers.resource_support import Pager
from dmi_api.schemas.audit import AuditEventPublic
from dmi_api.schemas.base import UtcInstant
from dmi_api.schemas.common import Page
from dmi_api.services.audit_queries import AuditFilter, list_events

router = make_router(tag="audit", prefix="/v1/audit-events")
RESOURCE = "audit_event"

ActionFilter = Literal["read", "list", "create", "update", "delete", "denied", "token"]


@router.get("", response_model=Page[AuditEventPublic])
async def list_audit_events(
    *,
    caller: AuditReader,
    occurred_from: Annotated[
        UtcInstant | None,
        Query(alias="from", description="events at or after this instant (inclusive)"),
    ] = None,
    occurred_to: Annotated[
        UtcInstant | None, Query(alias="to", description="events before this instant (exclusive)")
    ] = None,
    action: ActionFilter | None = None,
    resource_type: Annotated[str | None, Query(max_length=64)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    child_id: uuid.UUID | None = None,
    client_id: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[int | None, Query(ge=100, le=599)] = None,
    reference_id: Annotated[
        str | None,
        Query(max_length=64, description="events of writes refused for a body naming this id"),
    ] = None,
    pager: Pager,
) -> Page[AuditEventPublic]:
    """List the clinic's audit events, newest first; `from` inclusive, `to` exclusive."""
    filters = AuditFilter(
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        child_id=child_id,
        client_id=client_id,
        outcome=outcome,
        reference_id=reference_id,
    )
    # The cursor is bound to the filters: reusing it with other filters is refused.
    return await pager.page(
        caller,
        RESOURCE,
        partial(list_events, caller.tenant, filters),
        AuditEventPublic.model_validate,
        context=f"{RESOURCE}:{filters!r}",
        stamp="occurred_at",
    )
