"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import Request
from pydantic import BaseModel

from dmi_api.db import is_database_unavailable
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
    settings = request.app.state.settings
    try:
        # The cached set: a query (on the request pool) only when stale or not loaded yet.
        async with asyncio.timeout(settings.readyz_timeout_seconds):
            await request.app.state.keyring.current()
    except KeyDecryptionError:
        detail = "DMI_SECRET_KEY does not decrypt the signing keys the other replicas use."
        raise ServiceUnavailableError(
            detail, retry_after_seconds=settings.db_retry_after_seconds
        ) from None
    except Exception as exc:
        # A busy request pool is not a down database: the probe's own connection answered.
        if not is_database_unavailable(exc):
            raise
    return HealthStatus(status="ready")
