"""Shapes shared by every resource."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a keyset-paginated list."""

    data: list[ItemT]
    next_cursor: str | None
