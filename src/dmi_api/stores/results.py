"""What every store's operations return (`dmi_api.stores`)."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from fastapi import Request

from dmi_api.pagination import CursorCodec

Bodies = tuple[list[Any], str | None]  # a page's bodies and the next cursor


class Found(NamedTuple):
    """A resource's body and its version (for the ETag)."""

    body: Any
    version: int


def cursor_codec(request: Request, clinic_id: uuid.UUID) -> CursorCodec:
    """The app's cursor codec for the lists of the caller's clinic (`CursorCodec.for_clinic`)."""
    codec: CursorCodec = request.app.state.cursor_codec
    return codec.for_clinic(clinic_id)
