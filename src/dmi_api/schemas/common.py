"""Shapes shared by every resource."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

ItemT = TypeVar("ItemT")

# A cursor is the base64url (unpadded) of a nonce, an encrypted position and its tag
# (`dmi_api.pagination.CursorCodec`): 28 bytes of overhead alone make 38 characters, and the
# positions the server encodes (an instant and a row id) make 120-140 in all.
CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"
CURSOR_MIN_LENGTH = 40
CURSOR_MAX_LENGTH = 200
CURSOR_DOC = (
    "opaque `next_cursor` of the previous page of the same query (base64url, issued and "
    "encrypted by the server); any other value, even one of this form, is refused with 422 at "
    "`#/cursor` (code `cursor_invalid`)"
)


class Page(BaseModel, Generic[ItemT]):
    """One page of a keyset-paginated list."""

    data: list[ItemT]
    next_cursor: str | None = Field(
        pattern=CURSOR_PATTERN,
        min_length=CURSOR_MIN_LENGTH,
        max_length=CURSOR_MAX_LENGTH,
        description="where the next page starts (send it as `cursor`); null on the last page",
    )
