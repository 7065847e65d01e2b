"""A batch of session records (e.g. home-practice logs recorded offline), as the API takes and
answers it."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from dmi_api.schemas.base import RequestModel, with_examples
from dmi_api.schemas.session_records import SessionRecordPublic

MAX_BATCH = 100


class BatchItem(RequestModel):
    """One record of the batch with its own `Idempotency-Key`."""

    idempotency_key: str = Field(
        min_length=1,
        max_length=255,
        description="as the `Idempotency-Key` of a single POST (the same key and body replay "
        "the first answer, here or there)",
    )
    record: dict[str, Any] = Field(
        description="a session record exactly as `POST /v1/session-records` takes it "
        "(`SessionRecordCreate`), validated on its own: a bad item is refused alone"
    )


class SessionRecordBatch(RequestModel):
    """Up to 100 session records, each committed or refused on its own."""

    model_config = with_examples(
        {
            "items": [
                {
                    "idempotency_key": "tablet-7f3e-0001",
                    "record": {
                        "child_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                        "type": "home_practice",
                        "setting": "home",
                        "started_at": "2026-03-02T17:30:00-05:00",
                        "duration_minutes": 20,
                    },
                }
            ]
        }
    )

    items: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH)


class BatchResult(BaseModel):
    """What became of one item, in the order sent."""

    index: int = Field(description="the item's position in `items` (from 0)")
    status: int = Field(description="201 created (or replayed), else the refusal's status")
    replayed: bool = Field(description="true when the key had already created this record")
    id: uuid.UUID | None
    version: int | None
    record: SessionRecordPublic | None = Field(description="the record, when created or replayed")
    problem: dict[str, Any] | None = Field(
        description="the refusal as an RFC 9457 problem (`type`, `title`, `status`, `detail`, "
        "`code`, and `errors` pointing into the batch: `#/items/3/record/...`)"
    )


class BatchResponse(BaseModel):
    """One result per item."""

    results: list[BatchResult]
