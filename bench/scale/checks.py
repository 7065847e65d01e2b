"""Every check, in the order they run: `first-keys` asks for the first tokens of the new
database; each check adds its own rows, and the export check expects all the rows written
before it."""

from __future__ import annotations

from bench.scale.checking import Check
from bench.scale.checks_auth import client_disable, first_keys, key_rotation
from bench.scale.checks_export import export
from bench.scale.checks_rate_limits import rate_limit
from bench.scale.checks_webhooks import webhooks
from bench.scale.checks_writes import balancer, idempotency

CHECKS = [
    Check("first-keys", first_keys),  # first: before any token exists
    Check("balancer", balancer),
    Check("idempotency", idempotency),
    Check("client-disable", client_disable),
    Check("key-rotation", key_rotation),
    Check("webhooks", webhooks),
    Check("export", export),
    Check("rate-limit", rate_limit),
]
