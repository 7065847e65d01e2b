"""Bulk exports: a client's request for the clinic's records as NDJSON files, its progress and,
when done, its manifest (the files themselves live under `DMI_EXPORT_DIR`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import JSON_TYPE, timestamp_field

# An export a worker may still work on: one per client at a time (the partial unique index).
UNFINISHED = ("queued", "running")


class BulkExport(TableModel, table=True):
    """One export of a clinic's records, FHIR (`/fhir/R4/$export`) or the API's own JSON
    (`/v1/exports`)."""

    __tablename__ = "bulk_export"
    __table_args__ = (
        Index("ix_bulk_export_clinic_id_created_at", "clinic_id", "created_at", "id"),
        Index(
            "uq_bulk_export_clinic_id_client_id_unfinished",
            "clinic_id",
            "client_id",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_bulk_export_expires_at", "expires_at"),
    )

    clinic_id: uuid.UUID = Field(primary_key=True, foreign_key="clinic.id")
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: uuid.UUID
    format: str = Field(max_length=8)  # fhir | v1
    # Everything the clinic has (system) or the patients' compartments (patient).
    level: str = Field(max_length=8)  # system | patient
    types: list[str] = Field(sa_type=JSON_TYPE)
    since: datetime | None = timestamp_field(nullable=True)
    request: str = Field(max_length=2048)  # the kick-off's path and query (ids only)
    status: str = Field(default="queued", max_length=16)  # + completed | failed | cancelled
    progress: str | None = Field(default=None, max_length=200)
    transaction_time: datetime | None = timestamp_field(nullable=True)
    # [{"type", "file", "count"}] and the same for tombstones (`deleted`), when completed.
    output: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON_TYPE)
    deleted: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON_TYPE)
    error: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    finished_at: datetime | None = timestamp_field(nullable=True)
    expires_at: datetime = timestamp_field()
