"""Every check, in the order they run: each adds its own rows, and the export check expects
all the rows written before it."""

from __future__ import annotations

from bench.scale.checking import Check
from bench.scale.checks_auth import client_disable, key_rotation
from bench.scale.checks_export import export
from bench.scale.checks_rate_limits import rate_limit
from bench.scale.checks_webhooks import webhooks
from bench.scale.checks_writes import balancer, idempotency

CHECKS = [
    Check("balancer", balancer),
    Check("idempotency", idempotency),
    Check("client-disable", client_disable),
    Check("key-rotation", key_rotation),
    Check("webhooks", webhooks),
    Check("export", export),
    Check("rate-limit", rate_limit),
]
