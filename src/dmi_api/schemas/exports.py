"""Bulk exports in the API's own JSON (`/v1/exports`): the request, and its status and
manifest (the same job and files as FHIR's `$export`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from dmi_api.schemas.base import RequestModel, UtcInstant, with_examples

ExportResource = Literal[
    "children",
    "practitioners",
    "exercises",
    "prescriptions",
    "session_records",
    "assessments",
    "milestones",
]
ExportStatus = Literal["queued", "running", "completed", "failed"]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("each resource at most once")
    return values


class ExportCreate(RequestModel):
    """What to export: some resources (all of them when omitted), and only what changed after
    `since` (with what was deleted after it)."""

    model_config = with_examples(
        {"resources": ["children", "session_records"], "since": "2026-01-01T00:00:00Z"}
    )

    resources: Annotated[
        list[ExportResource] | None,
        Field(min_length=1, max_length=7, json_schema_extra={"uniqueItems": True}),
        AfterValidator(lambda v: None if v is None else _unique(v)),
    ] = Field(default=None, description="the resources to export; all of them when omitted")
    since: UtcInstant | None = Field(
        default=None, description="only what changed after this instant, and what was deleted"
    )


class ExportFile(BaseModel):
    """One NDJSON file: its resource, where to download it (same token), its line count."""

    type: str
    url: str
    count: int


class ExportPublic(BaseModel):
    """An export: while it runs, its status and progress; when done, its manifest."""

    id: uuid.UUID
    status: ExportStatus
    progress: str | None = Field(description="while it runs: how far it got")
    resources: list[str]
    since: datetime | None
    created_at: datetime
    expires_at: datetime = Field(description="its files and status are deleted then")
    transaction_time: datetime | None = Field(
        description="when done: the moment of the snapshot it wrote (export again from here)"
    )
    output: list[ExportFile] = Field(description="when done: one or more files per resource")
    deleted: list[ExportFile] = Field(
        description="when done with `since`: the ids (and `deleted_at`) deleted after it"
    )
