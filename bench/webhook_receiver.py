"""A webhook receiver for the benchmark: answers 204 at once and notes, per delivery, when it
arrived and when its event occurred (`GET /stats`). Raw ASGI, no framework."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import orjson

_seen: list[tuple[float, float]] = []  # (arrival, occurred), Unix seconds
_ids: set[str] = set()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """POST: note the delivery; GET /stats: what was noted."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "POST":
        arrival = time.time()
        event = orjson.loads(body)
        webhook_id = dict(scope["headers"]).get(b"webhook-id", b"").decode()
        if webhook_id not in _ids:  # at least once: count a redelivery once
            _ids.add(webhook_id)
            occurred = datetime.fromisoformat(event["occurred_at"]).timestamp()
            _seen.append((arrival, occurred))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    payload = orjson.dumps({"seen": _seen})
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
