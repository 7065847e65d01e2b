"""A per-process memo of access tokens this process has fully verified.

An RS256 verification costs ~30-40 µs of CPU on every request, for the same token a client sends
hundreds of times in its few minutes of life. The memo maps the exact token text to what its
verification proved; a hit is only honoured while the token is unexpired and the key that signed
it is still in our key set, so expiry and key retirement act as without the memo. A token that
failed verification is never stored, and only an identical string can hit: a forged or altered
token always goes through full verification. Revocation of the client is checked in the
database on every request, memo or not. This is a cache of a pure function's result, not state
that must hold across workers: a miss only costs one verification.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dmi_api.auth.principal import Principal

# Tokens in flight per worker are far fewer; the bound keeps a flood of valid tokens harmless.
MAX_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    kid: str
    expires_at: int


class VerifiedTokens:
    """Tokens verified by this process, until they expire or their key leaves the key set."""

    def __init__(self, *, leeway_seconds: int, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: dict[str, _Entry] = {}
        self._leeway = leeway_seconds
        self._max_entries = max_entries

    def get(self, token: str, kids: frozenset[str], now: float | None = None) -> Principal | None:
        """The principal a still-valid verified token proved, or None (verify it in full)."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        now = time.time() if now is None else now
        if entry.expires_at + self._leeway <= now or entry.kid not in kids:
            del self._entries[token]
            return None
        return entry.principal

    def put(self, token: str, principal: Principal, *, kid: str, expires_at: int) -> None:
        """Remember a token that has just passed full verification."""
        if len(self._entries) >= self._max_entries:
            # Oldest first (dicts keep insertion order); most of them have expired by now.
            del self._entries[next(iter(self._entries))]
        self._entries[token] = _Entry(principal, kid, expires_at)

    def __len__(self) -> int:
        return len(self._entries)
