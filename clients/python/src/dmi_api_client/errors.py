"""What the client raises: the API's problem documents, refused credentials, failed exports and
webhook signatures that do not verify. Messages carry the problem's title and detail, never a
token, a secret or a request body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx


class DmiError(Exception):
    """Every error of this package."""


class ApiError(DmiError):
    """A non-success answer of the API: its RFC 9457 problem document, as far as it has one."""

    def __init__(self, status: int, problem: Mapping[str, Any], headers: httpx.Headers) -> None:
        self.status = status
        self.problem = dict(problem)
        self.headers = headers
        self.title = str(problem.get("title") or httpx.codes.get_reason_phrase(status) or "Error")
        self.detail: str | None = problem.get("detail")
        self.code: str | None = problem.get("code")
        self.request_id: str | None = problem.get("request_id") or headers.get("x-request-id")
        self.errors: list[dict[str, Any]] = list(problem.get("errors") or [])
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line: status, title, detail, code and field errors (pointers and messages)."""
        text = f"{self.status} {self.title}"
        if self.detail:
            text += f": {self.detail}"
        if self.code:
            text += f" [{self.code}]"
        for error in self.errors[:5]:
            text += f"; {error.get('pointer', '')} {error.get('detail', '')}".rstrip()
        return text


class BadRequestError(ApiError):
    """400."""


class UnauthorizedError(ApiError):
    """401: the token was refused (and a fresh one was refused too)."""


class ForbiddenError(ApiError):
    """403: the client lacks a scope."""


class NotFoundError(ApiError):
    """404 (also another clinic's row)."""


class ConflictError(ApiError):
    """409."""


class PreconditionFailedError(ApiError):
    """412: the `If-Match` ETag is stale; read the resource again."""


class UnprocessableEntityError(ApiError):
    """422: invalid input; `errors` has one entry per field, with a JSON pointer."""


class TooManyRequestsError(ApiError):
    """429 after every retry (or a `Retry-After` longer than the client waits)."""


class ServiceUnavailableError(ApiError):
    """503 after every retry."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    422: UnprocessableEntityError,
    429: TooManyRequestsError,
    503: ServiceUnavailableError,
}


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """The response's problem document (or OAuth error), or an empty one if it has none."""
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    if "error" in body and "title" not in body:  # an RFC 6749 §5.2 error
        return {"title": body.get("error"), "detail": body.get("error_description")}
    return body


def api_error(response: httpx.Response) -> ApiError:
    """The exception for a non-success response (its body must have been read)."""
    cls = _BY_STATUS.get(response.status_code, ApiError)
    return cls(response.status_code, problem_of(response), response.headers)


class AuthenticationError(DmiError):
    """The token endpoint refused the client's credentials (or answered no token)."""


class ExportFailedError(DmiError):
    """A bulk export ended `failed`, or did not finish in time."""


class WebhookVerificationError(DmiError):
    """A webhook request whose signature, timestamp or headers do not verify."""
