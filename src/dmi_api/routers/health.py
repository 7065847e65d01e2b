"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from pydantic import BaseModel

from dmi_api.errors import ServiceUnavailableError
from dmi_api.http.problems import problem_responses
from dmi_api.routers import make_router
from dmi_api.security.key_crypto import KeyDecryptionError

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
    """Readiness: the database answers, its schema is migrated to this version, and this
    replica's `DMI_SECRET_KEY` opens the signing key (else its tokens and JWKS fail)."""
    # On a connection of the probe's own, within `DMI_READYZ_TIMEOUT_SECONDS`: a request pool
    # that a locked table holds does not make the replica not-ready.
    await request.app.state.readiness.check()
    try:
        await request.app.state.keyring.current()  # the cached set: a query only when stale
    except KeyDecryptionError:
        detail = "DMI_SECRET_KEY does not decrypt the signing keys the other replicas use."
        seconds = request.app.state.settings.db_retry_after_seconds
        raise ServiceUnavailableError(detail, retry_after_seconds=seconds) from None
    return HealthStatus(status="ready")
