"""Exception handlers: domain errors, HTTP errors, validation and database outages to problems."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy.exc as sa_exc
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from dmi_api.db import is_database_unavailable, is_schema_behind
from dmi_api.errors import (
    ConflictError,
    ProblemError,
    ServiceUnavailableError,
    ValidationProblemError,
    json_pointer,
)
from dmi_api.http.errors_log import log_unexpected
from dmi_api.http.problems import problem_response, status_code_name, status_title
from dmi_api.http.refusals import audit_refusal
from dmi_api.request_context import current_request_id

logger = logging.getLogger("dmi_api.errors")

_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def render_problem(exc: ProblemError) -> Response:
    """Render a domain error."""
    return problem_response(
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        extensions=exc.extensions,
    )


def field_errors(raw_errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """One entry per offending field with a pointer to it; never echoes the input."""
    merged: dict[tuple[str, str], dict[str, str]] = {}
    for error in raw_errors:
        loc = list(error.get("loc", ()))
        location = str(loc[0]) if loc and loc[0] in _LOCATIONS else "body"
        path = loc[1:] if loc and loc[0] in _LOCATIONS else loc
        code = str(error.get("type", "invalid"))
        if code == "json_invalid":
            # The position is a byte offset, not a field: point at the document.
            pointer, detail = "#", "The body is not valid JSON."
        else:
            pointer, detail = json_pointer(list(path)), str(error.get("msg", "Invalid value."))
        key = (location, pointer)
        if key in merged:
            if detail not in merged[key]["detail"]:
                merged[key]["detail"] += f"; {detail}"
            continue
        merged[key] = {"location": location, "pointer": pointer, "detail": detail, "code": code}
    return list(merged.values())


def unaudited_response(request: Request) -> Response:
    """The answer to a refusal that could not be recorded: a 503 to retry, not a refusal that
    left no trace (`http.refusals`)."""
    settings = request.app.state.settings
    return render_problem(
        ServiceUnavailableError(
            "The request could not be completed; retry shortly.",
            retry_after_seconds=settings.db_retry_after_seconds,
        )
    )


async def _problem_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    if not await audit_refusal(request, exc.status, exc):
        return unaudited_response(request)
    return render_problem(exc)


def _with_head(methods: set[str]) -> set[str]:
    # HEAD is served wherever GET is (`request_shape.HeadAsGetMiddleware`), undocumented.
    return methods | {"HEAD"} if "GET" in methods else methods


def allowed_methods(request: Request) -> str:
    """Every method the path supports, across all the operations that share it.

    Starlette names only the first route that matched, but a path such as
    `/v1/children/{child_id}` is served by several (GET, PATCH, DELETE); the OpenAPI document
    knows them all. The most literal path wins: `/v1/session-records/batch` is not a row's id
    (paths with fewer parameters are tried first).
    """
    table: list[tuple[re.Pattern[str], str]] | None = getattr(request.app.state, "allow", None)
    if table is None:
        table = [
            (
                re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"),
                ", ".join(sorted(_with_head({method.upper() for method in item}))),
            )
            for path, item in sorted(
                request.app.openapi().get("paths", {}).items(),
                key=lambda entry: entry[0].count("{"),
            )
        ]
        request.app.state.allow = table
    path = request.url.path
    return next((methods for pattern, methods in table if pattern.match(path)), "")


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 405:
        headers["Allow"] = allowed_methods(request)
    detail = exc.detail if isinstance(exc.detail, str) else status_title(status)
    return problem_response(
        status=status,
        code=status_code_name(status),
        title=status_title(status),
        detail=detail,
        headers=headers,
    )


async def _http_exception_audited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not await audit_refusal(request, exc.status_code, exc):
        return unaudited_response(request)
    return await _http_exception(request, exc)


async def _request_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return render_problem(ValidationProblemError(field_errors(exc.errors())))


def unexpected_error_response(exc: Exception) -> Response:
    """The last-resort 500, once `exc` is logged (its text never reaches the caller)."""
    log_unexpected(exc)
    return problem_response(
        status=500,
        code="internal_error",
        title=status_title(500),
        detail="An unexpected error occurred; it has been logged with the request id.",
    )


def database_error_response(exc: Exception, retry_after_seconds: int) -> Response | None:
    """A 503 problem when the database cannot serve now (down, busy, or its schema not migrated
    to this version yet: as /readyz says); None for any other failure."""
    if is_schema_behind(exc):
        message = "database schema missing or older than this version: run `dmi-api migrate`"
    elif is_database_unavailable(exc):
        message = "database unavailable"
    else:
        return None
    logger.warning(
        message, extra={"request_id": current_request_id(), "exc_type": type(exc).__name__}
    )
    return render_problem(
        ServiceUnavailableError(
            "The database is temporarily unavailable; retry shortly.",
            retry_after_seconds=retry_after_seconds,
        )
    )


def install_exception_handlers(app: FastAPI, *, retry_after_seconds: int) -> None:
    """Register every handler on the app."""

    async def _database(request: Request, exc: Exception) -> Response:
        response = database_error_response(exc, retry_after_seconds)
        if response is not None:
            return response
        if isinstance(exc, sa_exc.IntegrityError):
            # A uniqueness race lost to a concurrent request: the same answer as a checked one.
            conflict = ConflictError("The request conflicts with an existing record.")
            if not await audit_refusal(request, conflict.status, conflict):
                return unaudited_response(request)
            return render_problem(conflict)
        return unexpected_error_response(exc)

    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception_audited)
    app.add_exception_handler(RequestValidationError, _request_validation)
    for exc_type in (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError, TimeoutError):
        app.add_exception_handler(exc_type, _database)
