"""The request being served (its id and peer address), for logs, problems and the audit trail."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
# Echo only ids that cannot smuggle anything into logs or headers.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

_request_id: ContextVar[str | None] = ContextVar("dmi_request_id", default=None)
_client_ip: ContextVar[str | None] = ContextVar("dmi_client_ip", default=None)


def choose_request_id(incoming: str | None) -> str:
    """The caller's id when it is sane, else a fresh one."""
    if incoming is not None and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def set_request_id(request_id: str | None) -> None:
    """Bind the id to the current request's context."""
    _request_id.set(request_id)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


def set_client_ip(address: str | None) -> None:
    """Bind the peer address (after trusted-proxy rewriting by uvicorn) to the request."""
    _client_ip.set(address)


def current_client_ip() -> str | None:
    """The address the request came from, if known."""
    return _client_ip.get()
