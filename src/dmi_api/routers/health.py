"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from sqlalchemy import text

from dmi_api.deps import DbSession
from dmi_api.http.problems import problem_responses
from dmi_api.routers import make_router

router = make_router(tag="health", lenient_query=True)


class HealthStatus(BaseModel):
    """Probe result."""

    status: Literal["ok", "ready"]


@router.get("/healthz", response_model=HealthStatus)
async def healthz() -> HealthStatus:
    """Liveness: the process serves requests (does not touch the database)."""
    return HealthStatus(status="ok")


@router.get("/readyz", response_model=HealthStatus, responses=problem_responses(503))
async def readyz(db: DbSession) -> HealthStatus:
    """Readiness: the database answers a query."""
    await db.execute(text("SELECT 1"))
    return HealthStatus(status="ready")
