"""Query parameters shared by list operations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from dmi_api.pagination import DEFAULT_LIMIT, MAX_LIMIT

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[
    str | None,
    Query(max_length=1024, description="`next_cursor` of the previous page (opaque)"),
]
DEFAULT_PAGE_SIZE = DEFAULT_LIMIT
