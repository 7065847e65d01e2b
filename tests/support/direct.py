"""Comparing the direct statements (PostgreSQL) with the ORM session path on the same request."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI


async def both_paths(
    app: FastAPI, client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    """The same GET on the direct path, then on the session path (as on SQLite)."""
    direct = app.state.direct
    assert direct is not None
    direct_response = await client.get(path, headers=headers)
    app.state.direct = None
    try:
        session_response = await client.get(path, headers=headers)
    finally:
        app.state.direct = direct
    return direct_response, session_response


def without_request_id(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem body without its (per-request) id."""
    return {k: v for k, v in problem.items() if k != "request_id"}
