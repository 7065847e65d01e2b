"""Reading session records: one record, its amendments, its references, and filtered lists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, exists
from sqlmodel import col

from dmi_api.models import (
    Exercise,
    Prescription,
    PrescriptionItem,
    SessionAmendment,
    SessionRecord,
)
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import SESSION_RECORDS
from dmi_api.queries.predicates import columns, live, live_item_of_live_prescription
from dmi_api.schemas.session_records import PerformedExercise
from dmi_api.services.resources import ListQuery, any_live, get_live, list_page
from dmi_api.services.resources import live_child as live_child  # for the nested lists
from dmi_api.services.session_record_views import plain_view
from dmi_api.tenant_scope import Tenant

Amendments = list[SessionAmendment]


async def get(tenant: Tenant, record_id: uuid.UUID, *, for_update: bool = False) -> SessionRecord:
    """A live record of the clinic, else 404."""
    return await get_live(tenant, SessionRecord, record_id, for_update=for_update)


async def load_amendments(
    tenant: Tenant, record_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Amendments]:
    """The amendments of these records, oldest first, with one query."""
    found: dict[uuid.UUID, Amendments] = {record_id: [] for record_id in record_ids}
    if not record_ids:
        return found
    statement = (
        tenant.select(SessionAmendment)
        .where(col(SessionAmendment.session_record_id).in_(list(record_ids)))
        .order_by(col(SessionAmendment.created_at), col(SessionAmendment.id))
    )
    for amendment in (await tenant.db.execute(statement)).scalars():
        found[amendment.session_record_id].append(amendment)
    return found


def amended() -> ColumnElement[bool]:
    """The session record (the statement's `session_record`) has amendments."""
    records, amendments = columns(SessionRecord), columns(SessionAmendment)
    return exists().where(
        amendments.clinic_id == records.clinic_id, amendments.session_record_id == records.id
    )


async def amendments_of(tenant: Tenant, row: SessionRecord) -> Amendments:
    """The amendments of one record, oldest first."""
    return (await load_amendments(tenant, [row.id]))[row.id]


async def exercise_references(
    tenant: Tenant, child_id: uuid.UUID, fresh: Sequence[tuple[int, PerformedExercise]]
) -> tuple[set[uuid.UUID], dict[uuid.UUID, uuid.UUID]]:
    """Of the entries' exercises, the live ones; of their prescription items, those live on a
    live prescription of this child (→ their exercise): one query for each kind."""
    exercise_ids = {entry.exercise_id for _, entry in fresh}
    item_ids = {entry.prescription_item_id for _, entry in fresh} - {None}
    live_exercises: set[uuid.UUID] = set()
    if exercise_ids:
        statement = tenant.select(Exercise).where(
            col(Exercise.id).in_(exercise_ids), live(Exercise)
        )
        live_exercises = {row.id for row in (await tenant.db.execute(statement)).scalars()}
    items: dict[uuid.UUID, uuid.UUID] = {}
    if item_ids:
        statement_items = tenant.select(PrescriptionItem).where(
            col(PrescriptionItem.id).in_(item_ids),
            live_item_of_live_prescription(PrescriptionItem, Prescription, tenant.clinic_id),
            col(Prescription.child_id) == child_id,
        )
        items = {
            row.id: row.exercise_id for row in (await tenant.db.execute(statement_items)).scalars()
        }
    return live_exercises, items


async def list_public(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of records with their amendments (two queries; `filters`:
    `queries.lists.SESSION_RECORDS`'s values)."""
    rows, next_cursor = await list_page(
        tenant, SessionRecord, SESSION_RECORDS, filters, query=query, codec=codec
    )
    amendments = await load_amendments(tenant, [row.id for row in rows])
    return [plain_view(row, amendments[row.id]) for row in rows], next_cursor


async def dated_before(tenant: Tenant, child_id: uuid.UUID, day: date) -> bool:
    """Whether a live session of the child starts before `day` (a new birth date), as
    `session_record_rules.before_birth` reads a start: by its UTC date."""
    midnight = datetime.combine(day, time.min, tzinfo=UTC)
    mine = col(SessionRecord.child_id) == child_id
    return await any_live(tenant, SessionRecord, mine, col(SessionRecord.started_at) < midnight)
