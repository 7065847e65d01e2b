"""Logging of unexpected exceptions without their messages (they can carry PHI or SQL)."""

from __future__ import annotations

import logging
import traceback

from dmi_api.request_context import current_request_id

logger = logging.getLogger("dmi_api.errors")


def exception_chain_types(exc: BaseException) -> list[str]:
    """Type names of an exception and its causes, outermost first."""
    names: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        names.append(f"{type(current).__module__}.{type(current).__qualname__}")
        current = current.__cause__ or current.__context__
    return names


def stack_locations(exc: BaseException) -> list[str]:
    """`file:line in function` per frame; source lines are left out, they can hold literals."""
    return [
        f"{frame.filename}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
    ]


def log_unexpected(exc: BaseException) -> None:
    """Log the stack (code locations only) and exception types, keyed by request id."""
    logger.error(
        "unhandled exception",
        extra={
            "request_id": current_request_id(),
            "exc_types": exception_chain_types(exc),
            "stack": stack_locations(exc),
        },
    )
