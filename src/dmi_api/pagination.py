"""Keyset pagination: opaque, tamper-evident cursors and the `Link` header."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any

from starlette.datastructures import URL

from dmi_api.errors import ValidationProblemError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def invalid_cursor() -> ValidationProblemError:
    return ValidationProblemError(
        [
            {
                "location": "query",
                "pointer": "#/cursor",
                "detail": "The cursor is invalid or belongs to another query; start again.",
                "code": "cursor_invalid",
            }
        ]
    )


class CursorCodec:
    """Signs cursor positions so that a client can neither forge nor reuse them elsewhere."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"dmi-api cursor v1\x00" + secret.encode()).digest()

    def _mac(self, payload: bytes, context: str) -> bytes:
        return hmac.new(self._key, context.encode() + b"\x00" + payload, hashlib.sha256).digest()[
            :16
        ]

    def encode(self, position: list[Any], *, context: str) -> str:
        """A cursor for the row after `position` within one query (`context` names it)."""
        payload = json.dumps(position, separators=(",", ":"), default=str).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload, context))}"

    def decode(self, cursor: str, *, context: str) -> list[Any]:
        """The position in a cursor made by `encode` for the same context, else a 422."""
        payload_part, _, mac_part = cursor.partition(".")
        try:
            payload, mac = _unb64(payload_part), _unb64(mac_part)
        except (binascii.Error, ValueError):
            raise invalid_cursor() from None
        if not hmac.compare_digest(mac, self._mac(payload, context)):
            raise invalid_cursor()
        position = json.loads(payload)
        if not isinstance(position, list):
            raise invalid_cursor()
        return position


def decode_keyset(
    codec: CursorCodec, cursor: str | None, *, context: str
) -> tuple[datetime, uuid.UUID] | None:
    """The (timestamp, id) position of a cursor made by `encode_keyset`, or None without one."""
    if not cursor:
        return None
    try:
        stamp, row_id = codec.decode(cursor, context=context)
        return datetime.fromisoformat(stamp), uuid.UUID(row_id)
    except (TypeError, ValueError):
        raise invalid_cursor() from None


def encode_keyset(codec: CursorCodec, stamp: datetime, row_id: uuid.UUID, *, context: str) -> str:
    """A cursor positioned after the row with this (timestamp, id)."""
    return codec.encode([stamp.isoformat(), str(row_id)], context=context)


def next_link(url: URL, next_cursor: str | None) -> dict[str, str]:
    """The RFC 8288 `Link` header to the next page, if there is one."""
    if next_cursor is None:
        return {}
    return {"Link": f'<{url.include_query_params(cursor=next_cursor)}>; rel="next"'}
