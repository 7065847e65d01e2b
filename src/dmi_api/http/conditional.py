"""Conditional requests (RFC 9110 §13): ETags from row versions, If-Match, If-None-Match."""

from __future__ import annotations

from starlette.requests import Request

from dmi_api.errors import PreconditionFailedError, PreconditionRequiredError


def etag(version: int) -> str:
    """The strong entity tag of a resource version."""
    return f'"{version}"'


def _tags(header: str) -> set[str]:
    return {tag.strip() for tag in header.split(",") if tag.strip()}


def require_if_match(request: Request, current_version: int) -> None:
    """428 without `If-Match`, 412 unless it names the current version (weak tags never match)."""
    header = request.headers.get("if-match")
    if header is None:
        raise PreconditionRequiredError(
            "Send If-Match with the ETag of the version you are changing."
        )
    tags = _tags(header)
    if "*" not in tags and etag(current_version) not in tags:
        raise PreconditionFailedError(
            "The resource has changed since that version; fetch it again and retry."
        )


def is_not_modified(request: Request, current_version: int) -> bool:
    """Whether a GET may answer 304: `If-None-Match` names the current version."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    tags = {tag.removeprefix("W/") for tag in _tags(header)}
    return "*" in tags or etag(current_version) in tags
