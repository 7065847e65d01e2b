"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from pydantic import BaseModel

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
async def readyz(request: Request) -> HealthStatus:
    """Readiness: the database answers, and its schema is migrated to this version."""
    # On a connection of the probe's own, within `DMI_READYZ_TIMEOUT_SECONDS`: a request pool
    # that a locked table holds does not make the replica not-ready.
    await request.app.state.readiness.check()
    return HealthStatus(status="ready")
