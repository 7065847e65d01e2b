"""Auditing of denied requests (401, 403, 404 on authenticated routes) in their own transaction."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy.exc as sa_exc
from starlette.requests import Request

from dmi_api.audit_trail import record_event
from dmi_api.auth.principal import Principal
from dmi_api.db import DbSessionMaker
from dmi_api.request_context import current_request_id
from dmi_api.tenant_scope import bind_settings

logger = logging.getLogger("dmi_api.audit")

AUDITED_STATUSES = frozenset({401, 403, 404})


def _resource(request: Request) -> tuple[str, str | None, uuid.UUID | None]:
    route: Any = request.scope.get("route")
    tags = getattr(route, "tags", None) or ["unknown"]
    params = request.path_params
    resource_id = next(
        (str(v) for k, v in params.items() if k.endswith("_id") and k != "child_id"), None
    )
    child_id = None
    if "child_id" in params:
        try:
            child_id = uuid.UUID(str(params["child_id"]))
        except ValueError:
            child_id = None
    if resource_id is None and child_id is not None:
        resource_id = str(child_id)
    # Only identifiers that look like ours are kept: a path segment could be anything.
    if resource_id is not None and len(resource_id) > 64:
        resource_id = None
    return str(tags[0]), resource_id, child_id


async def audit_denial(request: Request, status: int) -> None:
    """Record a denial, committed on its own: the request's transaction was rolled back."""
    if status not in AUDITED_STATUSES or not getattr(request.state, "audit_denials", False):
        return
    principal: Principal | None = getattr(request.state, "principal", None)
    resource_type, resource_id, child_id = _resource(request)
    sessionmaker: DbSessionMaker = request.app.state.sessionmaker
    try:
        async with sessionmaker() as db:
            await bind_settings(db, clinic_id=principal.clinic_id if principal else None)
            record_event(
                db,
                principal=principal,
                action="denied",
                resource_type=resource_type,
                resource_id=resource_id,
                child_id=child_id,
                outcome=status,
            )
            await db.commit()
    except (sa_exc.SQLAlchemyError, OSError, TimeoutError) as exc:
        # Nothing was disclosed or changed; the denial still stands, and operators see this.
        logger.warning(
            "denial not audited",
            extra={"request_id": current_request_id(), "exc_type": type(exc).__name__},
        )
