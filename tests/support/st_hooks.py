"""Schemathesis hooks for the CLI run (loaded through SCHEMATHESIS_HOOKS).

Hypothesis replays a failing or shrinking sequence request for request; against a live server
a replayed `Idempotency-Key` then replays the first response (as it must), whose row a later
step may have deleted. Every generated request gets a key of its own so that replays create
rows; the replay rules themselves are tested in tests/records.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis


@schemathesis.hook
def map_headers(context: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
    """A fresh Idempotency-Key wherever one was generated."""
    if headers and "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return headers
