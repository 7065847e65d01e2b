"""Requests as data, built without any I/O: method, path, query, JSON body and headers, and
whether the request may be sent again after it may have reached the server."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

Scalar = str | int | float | bool | date | datetime | uuid.UUID
ParamValue = Scalar | Sequence[Scalar] | None
Body = BaseModel | Mapping[str, Any]
# An ETag as the server sent it (`"3"`), bare (`3`), or the version number.
ETagLike = str | int


@dataclass(frozen=True)
class ApiRequest:
    """One API call. `retry_safe`: sending it twice does no harm (a read, a keyed POST, an
    If-Match change), so it is retried also after a connection broke mid-request."""

    method: str
    path: str
    params: dict[str, str | list[str]] = field(default_factory=dict)
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_safe: bool = True

    @property
    def idempotency_key(self) -> str | None:
        """The `Idempotency-Key` this request carries on every attempt, if any."""
        return self.headers.get("Idempotency-Key")


def segment(value: str | uuid.UUID) -> str:
    """A path segment, percent-encoded."""
    return quote(str(value), safe="")


def _scalar(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("date-times must carry a time zone (the API reads instants)")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def encode_params(params: Mapping[str, ParamValue]) -> dict[str, str | list[str]]:
    """Query parameters as strings; None is left out; a trailing `_` is dropped (`from_`)."""
    encoded: dict[str, str | list[str]] = {}
    for name, value in params.items():
        if value is None:
            continue
        key = name[:-1] if name.endswith("_") else name
        if isinstance(value, Sequence) and not isinstance(value, str):
            encoded[key] = [_scalar(item) for item in value]
        else:
            encoded[key] = _scalar(value)
    return encoded


def encode_body(body: Body) -> Any:
    """A JSON-ready body: a model as it was set (unset fields left out, as a PATCH needs), or
    a mapping with its dates, UUIDs and nested models made JSON values."""
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return to_jsonable_python(body, by_alias=True)


def quote_etag(etag: ETagLike) -> str:
    """`If-Match` value for an ETag as sent (`"3"`), a bare one (`3`) or a version number."""
    text = str(etag).strip()
    if text == "*" or (len(text) >= 2 and text.startswith('"') and text.endswith('"')):
        return text
    if text.startswith("W/"):
        raise ValueError("If-Match takes strong ETags only")
    return f'"{text}"'


def new_idempotency_key() -> str:
    """A fresh key for one POST, reused on each of its retries."""
    return str(uuid.uuid4())


def get(path: str, params: Mapping[str, ParamValue] | None = None) -> ApiRequest:
    """A GET."""
    return ApiRequest("GET", path, encode_params(params or {}))


def post(
    path: str,
    body: Body | None = None,
    *,
    idempotency_key: str | None = None,
    keyed: bool = True,
    if_match: ETagLike | None = None,
    retry_safe: bool | None = None,
) -> ApiRequest:
    """A POST. `keyed`: the operation takes `Idempotency-Key` (a fresh one unless given), which
    makes resending it safe: the server replays the first answer."""
    headers: dict[str, str] = {}
    if keyed:
        headers["Idempotency-Key"] = idempotency_key or new_idempotency_key()
    if if_match is not None:
        headers["If-Match"] = quote_etag(if_match)
    if retry_safe is None:
        retry_safe = keyed or if_match is not None
    payload = None if body is None else encode_body(body)
    return ApiRequest("POST", path, json=payload, headers=headers, retry_safe=retry_safe)


def change(
    method: str,
    path: str,
    body: Body | None,
    *,
    if_match: ETagLike | None,
    idempotency_key: str | None = None,
) -> ApiRequest:
    """A PATCH, PUT or DELETE naming the version it changes (`If-Match`): never applied twice.
    With `idempotency_key` (the same on every attempt), a resend of one that went through is
    answered as it was; without, it is refused (412; a delete's 404)."""
    headers: dict[str, str] = {}
    if if_match is not None:
        headers["If-Match"] = quote_etag(if_match)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    payload = None if body is None else encode_body(body)
    return ApiRequest(method, path, json=payload, headers=headers, retry_safe=True)
