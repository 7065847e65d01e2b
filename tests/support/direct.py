"""Comparing the direct statements (PostgreSQL) with the ORM session path on the same request."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from dmi_api.direct.bound_db import DirectDb
from dmi_api.stores import build_stores


def serve_with(app: FastAPI, direct: DirectDb | None) -> None:
    """Serve the app's two-way operations with one statement on `direct`, or on the session
    path (None), as `create_app` chooses (`dmi_api.stores.build_stores`)."""
    app.state.direct = direct
    app.state.stores = build_stores(direct)


async def both_paths(
    app: FastAPI, client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    """The same GET on the direct path, then on the session path (as on SQLite)."""
    direct = app.state.direct
    assert direct is not None
    direct_response = await client.get(path, headers=headers)
    serve_with(app, None)
    try:
        session_response = await client.get(path, headers=headers)
    finally:
        serve_with(app, direct)
    return direct_response, session_response


def without_request_id(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem body without its (per-request) id."""
    return {k: v for k, v in problem.items() if k != "request_id"}


async def audit_rows(db: AsyncConnection, request_id: str, clinic_id: uuid.UUID) -> list[Any]:
    """The audit events of one request, oldest first (the app role sees the bound clinic's only:
    row-level security)."""
    await db.execute(text("SELECT set_config('dmi.clinic_id', :c, true)"), {"c": str(clinic_id)})
    query = text(
        "SELECT clinic_id, client_id, token_jti, action, resource_type, resource_id, child_id,"
        " outcome FROM audit_event WHERE request_id = :r ORDER BY occurred_at"
    )
    return list((await db.execute(query, {"r": request_id})).all())
