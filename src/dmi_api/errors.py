"""The error hierarchy: each error knows its HTTP status and a stable machine-readable code."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


def json_pointer(parts: Sequence[object]) -> str:
    """RFC 6901 pointer (URI fragment form) to a location inside a document."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(escaped) if parts else "#"


@dataclass(frozen=True)
class FieldProblem:
    """One entry of a 422's `errors`: where (a JSON pointer into the `location`), what is
    wrong, and a stable machine-readable code."""

    pointer: str
    detail: str
    code: str
    location: str = "body"
    # The id a `reference_not_found` entry could not resolve: audited (the trail names the id a
    # refused write tried), never shown in the answer.
    reference: uuid.UUID | None = None

    def as_dict(self) -> dict[str, str]:
        """The entry as the problem body shows it."""
        return {
            "location": self.location,
            "pointer": self.pointer,
            "detail": self.detail,
            "code": self.code,
        }


class ProblemError(Exception):
    """An error rendered as an RFC 9457 problem; subclasses fix status, code and title."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})

    def __init_subclass__(
        cls, *, status: int = 0, code: str = "", title: str = "", **kwargs: Any
    ) -> None:
        """Subclasses fix status, code and title as class keywords; unset ones inherit."""
        super().__init_subclass__(**kwargs)
        cls.status, cls.code, cls.title = status or cls.status, code or cls.code, title or cls.title


class BadRequestError(ProblemError, status=400, code="bad_request", title="Bad Request"):
    """The request is malformed in a way no field pointer describes."""


class NotFoundError(ProblemError, status=404, code="not_found", title="Not Found"):
    """No such resource for this caller (also for another clinic's rows)."""


class GoneError(ProblemError, status=410, code="gone", title="Gone"):
    """The resource existed and was deleted (FHIR reads answer 410 for a tombstone)."""


class NotAcceptableError(ProblemError, status=406, code="not_acceptable", title="Not Acceptable"):
    """The request's Accept header takes none of the media types the operation answers in."""


class ConflictError(ProblemError, status=409, code="conflict", title="Conflict"):
    """The request conflicts with the current state of the resource."""


class PayloadTooLargeError(
    ProblemError, status=413, code="payload_too_large", title="Content Too Large"
):
    """The request body exceeds the configured limit."""


class HeaderFieldsTooLargeError(
    ProblemError,
    status=431,
    code="header_fields_too_large",
    title="Request Header Fields Too Large",
):
    """The request carries too many header fields, or too many bytes of them (RFC 6585)."""


class UnsupportedMediaTypeError(
    ProblemError, status=415, code="unsupported_media_type", title="Unsupported Media Type"
):
    """The request body is not in a media type the operation accepts."""


class ValidationProblemError(
    ProblemError, status=422, code="validation_error", title="Unprocessable Content"
):
    """The payload or parameters are invalid; `errors` points at each offending field."""

    def __init__(
        self, errors: Sequence[FieldProblem | Mapping[str, Any]], detail: str | None = None
    ) -> None:
        entries = [e.as_dict() if isinstance(e, FieldProblem) else dict(e) for e in errors]
        self.problems = tuple(e for e in errors if isinstance(e, FieldProblem))
        super().__init__(
            detail or "The request has invalid fields; see `errors`.",
            extensions={"errors": entries},
        )


class ServiceUnavailableError(
    ProblemError, status=503, code="service_unavailable", title="Service Unavailable"
):
    """A dependency (the database) cannot serve now; the caller should retry later."""

    def __init__(self, detail: str | None = None, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_seconds)})


class TooManyRequestsError(
    ProblemError, status=429, code="too_many_requests", title="Too Many Requests"
):
    """The caller must wait before asking again (`Retry-After`)."""

    def __init__(self, detail: str | None = None, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_seconds)})


class AuthenticationError(ProblemError, status=401, code="invalid_token", title="Unauthorized"):
    """No usable bearer token (401, with a `WWW-Authenticate` challenge)."""

    def __init__(
        self,
        detail: str | None = None,
        *,
        token_present: bool = True,
        error_description: str | None = None,
    ) -> None:
        # RFC 6750 §3.1: a request without credentials gets a bare challenge, no error code.
        challenge = 'Bearer error="invalid_token"' if token_present else "Bearer"
        if token_present and error_description:
            challenge += f', error_description="{error_description}"'
        super().__init__(
            detail or ("The access token is invalid." if token_present else "A token is needed."),
            headers={"WWW-Authenticate": challenge},
        )


class InsufficientScopeError(
    ProblemError, status=403, code="insufficient_scope", title="Forbidden"
):
    """The token is valid but lacks a scope the operation needs."""

    def __init__(self, required: list[str]) -> None:
        scope = " ".join(required)
        super().__init__(
            f"This operation needs the scope: {scope}.",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
            extensions={"required_scopes": required},
        )


class PreconditionFailedError(
    ProblemError, status=412, code="precondition_failed", title="Precondition Failed"
):
    """`If-Match` names a version that is no longer current; nothing was changed. With the
    `current` version, the answer names it (`ETag` and `current_version`): what a client
    holding an older one (edited offline) merges with."""

    def __init__(
        self,
        detail: str = "The resource has changed since that version; fetch it again and retry.",
        *,
        current: int | None = None,
    ) -> None:
        if current is None:
            super().__init__(detail)
        else:
            super().__init__(
                detail,
                headers={"ETag": f'"{current}"'},
                extensions={"current_version": current},
            )


class PreconditionRequiredError(
    ProblemError, status=428, code="precondition_required", title="Precondition Required"
):
    """A change needs `If-Match` with the ETag of the version it was based on."""
