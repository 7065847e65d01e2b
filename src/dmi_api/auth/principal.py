"""The authenticated caller of a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """An API client acting for its clinic, as proven by a verified access token."""

    client_id: uuid.UUID
    clinic_id: uuid.UUID
    scopes: frozenset[str]
    token_jti: str
    # The client's own rate limit (units a minute) when it has one; None: the default.
    rate_limit: int | None = None

    def has_scopes(self, required: list[str]) -> bool:
        """Whether every required scope was granted."""
        return all(scope in self.scopes for scope in required)
