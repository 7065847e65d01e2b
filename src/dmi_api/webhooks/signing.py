"""Standard Webhooks signatures: the headers a delivery carries, signed with every secret in
force (the current one, and during a rotation's overlap the previous one too)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook


def signed_headers(
    message_id: str, body: bytes, secrets: Sequence[str], *, at: datetime | None = None
) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature` (one `v1,<base64>` per
    secret, space-separated) for `body` (its `Content-Type` is the sender's: `post_json`)."""
    if not secrets:
        raise ValueError("a delivery is signed with at least one secret")
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    data = body.decode()
    signatures = [Webhook(secret).sign(message_id, moment, data) for secret in secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
