"""Conditional requests (RFC 9110 §13): ETags from row versions, If-Match, If-None-Match."""

from __future__ import annotations

import re

from starlette.requests import Request

from dmi_api.errors import BadRequestError, PreconditionFailedError, PreconditionRequiredError

# RFC 9110 §8.8.3 and §13.1.1: `*`, or a comma-separated list of (optionally weak) quoted tags.
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
# Optional white space is spaces and tabs only (RFC 9110 §5.6.3), as the contract's pattern says.
_IF_MATCH = re.compile(rf"[ \t]*(?:\*|{_ENTITY_TAG}(?:[ \t]*,[ \t]*{_ENTITY_TAG})*)[ \t]*")


class MalformedIfMatchError(BadRequestError):
    """`If-Match` is not `*` or a list of quoted entity tags."""

    code = "malformed_if_match"


def etag(version: int) -> str:
    """The strong entity tag of a resource version."""
    return f'"{version}"'


def _tags(header: str) -> set[str]:
    return {tag.strip() for tag in header.split(",") if tag.strip()}


def read_if_match(request: Request) -> str | None:
    """The request's `If-Match`, or None; 400 when it is not `*` or quoted entity tags."""
    header = request.headers.get("if-match")
    if header is not None and _IF_MATCH.fullmatch(header) is None:
        raise MalformedIfMatchError(
            'If-Match must be an ETag as the server sent it, in double quotes, e.g. If-Match: "3"'
            " (or a comma-separated list of them, or *)."
        )
    return header


def require_if_match(request: Request, current_version: int) -> None:
    """428 without `If-Match`, 400 when malformed, 412 unless it names the current version
    (weak tags never match)."""
    header = read_if_match(request)
    if header is None:
        raise PreconditionRequiredError(
            "Send If-Match with the ETag of the version you are changing."
        )
    tags = _tags(header)
    if "*" not in tags and etag(current_version) not in tags:
        if f"W/{etag(current_version)}" in tags:
            # Not "changed": a proxy that compresses answers (nginx's gzip) weakens ETags.
            raise PreconditionFailedError(
                "If-Match compares ETags strongly: a weak one (W/...) never matches. Send the"
                ' ETag as the API sends it, without W/ (e.g. If-Match: "3").',
                current=current_version,
            )
        raise PreconditionFailedError(current=current_version)


def is_not_modified(request: Request, current_version: int) -> bool:
    """Whether a GET may answer 304: `If-None-Match` names the current version."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    tags = {tag.removeprefix("W/") for tag in _tags(header)}
    return "*" in tags or etag(current_version) in tags
