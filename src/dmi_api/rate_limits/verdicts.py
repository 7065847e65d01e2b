"""A rate limit decision and the headers that tell it (draft-ietf-httpapi-ratelimit-headers).

`RateLimit-Policy: "client";q=1200;w=60` names the client's quota: `q` units per `w` seconds.
`RateLimit: "client";r=1150;t=12` says how many units remain (`r`) and in how many seconds
more become free (`t`). A 429 adds `Retry-After`.
"""

from __future__ import annotations

from dataclasses import dataclass

POLICY = "client"
WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a request is within its client's quota, and what remains of it.

    `remaining` is None when the shared counters could not be read (the request was let
    through: see `leases.QuotaLeases`), so that no figure is made up."""

    allowed: bool
    quota: int
    remaining: int | None
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The RateLimit-Policy and RateLimit headers of the response."""
        raw = [(b"ratelimit-policy", f'"{POLICY}";q={self.quota};w={WINDOW_SECONDS}'.encode())]
        if self.remaining is not None:
            state = f'"{POLICY}";r={self.remaining};t={self.reset_seconds}'
            raw.append((b"ratelimit", state.encode()))
        return raw
