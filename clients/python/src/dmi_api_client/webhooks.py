"""Verifying webhook deliveries, for receivers: Standard Webhooks signatures
(`webhook-id`, `webhook-timestamp`, `webhook-signature`: `v1,<base64 HMAC-SHA256>` of
`{id}.{timestamp}.{body}` under the endpoint's `whsec_` secret; during a secret rotation the
server sends two signatures, and either verifies)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from dmi_api_client.errors import WebhookVerificationError

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
DEFAULT_TOLERANCE_SECONDS = 300


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is `whsec_` and base64") from None


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing {name} header")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of a delivery (what the server sends)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secrets: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The delivery's JSON payload if one of its signatures is by one of `secrets` and its
    timestamp is within `tolerance` seconds of now; else `WebhookVerificationError`.

    Pass the raw body as received (not re-serialized JSON). Drop repeated `webhook-id`s: a
    delivery is retried with the same id until it is acknowledged with a 2xx.
    """
    message_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is too old or too far ahead")
    offered = [
        part.split(",", 1)[1]
        for part in _header(headers, "webhook-signature").split()
        if part.startswith("v1,")
    ]
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    for secret in keys:
        expected = sign(secret, message_id, timestamp, body).split(",", 1)[1]
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            try:
                payload: dict[str, Any] = json.loads(body)
            except ValueError:
                raise WebhookVerificationError("the body is not JSON") from None
            return payload
    raise WebhookVerificationError("no signature matches")
