"""RFC 9457 problem documents: the one shape every error response takes."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

from dmi_api.request_context import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:dmi-api:problem:"


class FieldError(BaseModel):
    """One invalid field: where it is and what is wrong with it."""

    location: str = Field(description="body, query, path or header")
    pointer: str = Field(description="JSON pointer to the field within its location, e.g. #/name")
    detail: str
    code: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="stable machine-readable error code")
    request_id: str | None = None
    errors: list[FieldError] | None = None


def status_code_name(status: int) -> str:
    """A stable code derived from an HTTP status (`method_not_allowed`)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    return phrase.lower().replace(" ", "_").replace("-", "_")


def status_title(status: int) -> str:
    """The standard reason phrase of a status."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(
    *, status: int, code: str, title: str, detail: str, extensions: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A problem document with the current request id."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": current_request_id(),
    }
    for key, value in (extensions or {}).items():
        body.setdefault(key, value)
    return body


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Render a problem document with the current request id."""
    body = problem_body(status=status, code=code, title=title, detail=detail, extensions=extensions)
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting problem bodies for the given statuses."""
    return {
        status: {
            "model": Problem,
            "description": status_title(status),
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
        for status in statuses
    }
