"""Query parameters shared by list operations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from dmi_api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from dmi_api.schemas.common import (
    CURSOR_DOC,
    CURSOR_MAX_LENGTH,
    CURSOR_MIN_LENGTH,
    CURSOR_PATTERN,
)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        min_length=CURSOR_MIN_LENGTH,
        max_length=CURSOR_MAX_LENGTH,
        description=CURSOR_DOC,
    ),
]
DEFAULT_PAGE_SIZE = DEFAULT_LIMIT
