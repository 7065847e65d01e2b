"""Prescriptions: a child's exercise program, its dosed items and its status lifecycle."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import col

from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.models import Child, Practitioner, Prescription, PrescriptionItem
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import PRESCRIPTIONS
from dmi_api.schemas.prescriptions import (
    REQUIRED,
    PrescriptionCreate,
    PrescriptionPatch,
    PrescriptionPublic,
)
from dmi_api.services import prescription_items as items_service
from dmi_api.services import rules_in_effect
from dmi_api.services.history import record_change
from dmi_api.services.resources import (
    ListQuery,
    any_live,
    check_reference,
    get_live,
    list_page,
    null_problems,
    soft_delete,
    touch,
)
from dmi_api.services.resources import live_child as live_child  # for the nested lists
from dmi_api.tenant_scope import Tenant

RESOURCE = "prescription"
Errors = list[FieldProblem]
Items = list[PrescriptionItem]

# The lifecycle: completed and discontinued are final.
FINISHED = frozenset({"completed", "discontinued"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"active", "discontinued"}),
    "active": frozenset({"paused", "completed", "discontinued"}),
    "paused": frozenset({"active", "completed", "discontinued"}),
    "completed": frozenset(),
    "discontinued": frozenset(),
}


def to_public(row: Prescription, items: Items) -> PrescriptionPublic:
    """The API view of a prescription with its live items."""
    fields = {
        name: getattr(row, name) for name in PrescriptionPublic.model_fields if name != "items"
    }
    return PrescriptionPublic.model_validate(
        {**fields, "items": [items_service.to_public(item) for item in items]}
    )


async def _keep(
    tenant: Tenant, row: Prescription, items: Items, client_id: uuid.UUID
) -> PrescriptionPublic:
    """Keep this version; returns it as the API shows it (the response body: the row as it
    was, when this was no change)."""
    public = to_public(row, items)
    if await record_change(tenant, RESOURCE, row, public.model_dump(mode="json"), client_id):
        return public
    return to_public(row, items)


async def public_view(tenant: Tenant, row: Prescription) -> PrescriptionPublic:
    """The API view of one prescription with its live items."""
    return to_public(row, await items_of(tenant, row))


def _period_errors(start: date, end: date | None, *, pointer: str = "#/period_end") -> Errors:
    if end is not None and end < start:
        return [
            FieldProblem(pointer, "The period cannot end before it starts.", "end_before_start")
        ]
    return []


def _before_birth(child: Child | None, start: date) -> Errors:
    if child is not None and start < child.birth_date:
        detail = "The period cannot start before the child's birth."
        return [FieldProblem("#/period_start", detail, "before_birth")]
    return []


def _block_errors(setting: str, block: Any, *, pointer: str = "#/block") -> Errors:
    if block is not None and setting != "intensive":
        detail = "Only an intensive prescription is a block with a plan."
        return [FieldProblem(pointer, detail, "block_needs_intensive")]
    return []


def _status_change(
    row: Prescription, status: str | None, on: date | None, period_start: date, today: date
) -> tuple[Errors, list[dict[str, Any]] | None]:
    """Errors of a status change, and the pause spans after it (None: status unchanged)."""
    if status is None or status == row.status:
        if on is not None:
            detail = "Only meaningful with a change of status."
            return [FieldProblem("#/status_date", detail, "status_date_without_change")], None
        return [], None
    if status not in TRANSITIONS[row.status]:
        detail = f"A {row.status} prescription cannot become {status}."
        return [FieldProblem("#/status", detail, "invalid_transition")], None
    effective = on or today
    pauses = [dict(span) for span in row.pauses]
    if row.status == "paused" and pauses and pauses[-1]["end"] is None:
        if effective < date.fromisoformat(pauses[-1]["start"]):
            detail = "The pause cannot end before it started."
            return [FieldProblem("#/status_date", detail, "end_before_start")], None
        pauses[-1]["end"] = effective.isoformat()
    if status == "paused":
        ends = [date.fromisoformat(span["end"]) for span in pauses if span["end"] is not None]
        if effective < period_start or (ends and effective < max(ends)):
            detail = "A pause cannot start before the period or the end of an earlier pause."
            return [FieldProblem("#/status_date", detail, "pause_out_of_order")], None
        pauses.append({"start": effective.isoformat(), "end": None})
    return [], pauses


async def create(
    tenant: Tenant, *, payload: PrescriptionCreate, client_id: uuid.UUID
) -> tuple[Prescription, PrescriptionPublic]:
    """Add a prescription with its items, all or nothing."""
    errors, child = await check_reference(tenant, Child, payload.child_id, "#/child_id")
    more, _ = await check_reference(tenant, Practitioner, payload.prescriber_id, "#/prescriber_id")
    errors += more
    errors += _before_birth(child, payload.period_start)
    errors += _period_errors(payload.period_start, payload.period_end)
    errors += _block_errors(payload.setting, payload.block)
    errors += await items_service.check(tenant, payload.items)
    if errors:
        raise ValidationProblemError(errors)
    row = tenant.add(
        Prescription(**payload.model_dump(exclude={"items"}), clinic_id=tenant.clinic_id)
    )
    # The items' foreign key needs the prescription row first.
    await tenant.db.flush()
    items = items_service.add_all(tenant, row.id, payload.items)
    await tenant.db.flush()
    return row, await _keep(tenant, row, items, client_id)


async def update(
    tenant: Tenant, *, row: Prescription, patch: PrescriptionPatch, client_id: uuid.UUID
) -> tuple[Prescription, PrescriptionPublic]:
    """Apply a PATCH (the caller checked If-Match): fields, status and items, all or nothing."""
    errors = null_problems(patch, REQUIRED)
    if errors:
        raise ValidationProblemError(errors)
    changes: dict[str, Any] = patch.model_dump(
        exclude_unset=True, exclude={"items", "status", "status_date"}
    )
    if "prescriber_id" in changes:
        more, _ = await check_reference(
            tenant, Practitioner, changes["prescriber_id"], "#/prescriber_id"
        )
        errors += more
    start = changes.get("period_start", row.period_start)
    end = changes.get("period_end", row.period_end)
    if "period_start" in changes:
        errors += _before_birth(await tenant.get(Child, row.child_id), start)
    errors += _period_errors(
        start, end, pointer="#/period_end" if "period_end" in changes else "#/period_start"
    )
    errors += _block_errors(
        changes.get("setting", row.setting),
        changes.get("block", row.block),
        pointer="#/block" if "block" in changes else "#/setting",
    )
    # Without a date a status change takes effect on the clinic's date (its time zone), the
    # date its session records count on: in UTC a morning in Tokyo is still yesterday.
    today = (await rules_in_effect.load(tenant)).today()
    status_errors, pauses = _status_change(row, patch.status, patch.status_date, start, today)
    errors += status_errors
    current = (await items_service.load(tenant, [row.id]))[row.id]
    if patch.items is not None:
        errors += await items_service.check(tenant, patch.items, current)
    if errors:
        raise ValidationProblemError(errors)
    for name, value in changes.items():
        setattr(row, name, value)
    if pauses is not None:
        if patch.status in FINISHED:
            # Adherence counts the days before it in the periods the program ran in (none for
            # a draft that never ran).
            ended = start if row.status == "draft" else patch.status_date or today
            row.ended_on = ended
        row.status = str(patch.status)
        row.pauses = pauses
    items = current
    if patch.items is not None:
        items = items_service.replace(tenant, row.id, current, patch.items)
    touch(row)
    await tenant.db.flush()
    return row, await _keep(tenant, row, items, client_id)


async def delete(tenant: Tenant, *, row: Prescription, client_id: uuid.UUID) -> None:
    """Tombstone a prescription; its items stay for the session records that name them."""
    items = await items_of(tenant, row)
    soft_delete(row)
    await tenant.db.flush()
    await _keep(tenant, row, items, client_id)


async def get(
    tenant: Tenant, prescription_id: uuid.UUID, *, for_update: bool = False
) -> Prescription:
    """A live prescription of the clinic, else 404."""
    return await get_live(tenant, Prescription, prescription_id, for_update=for_update)


async def items_of(tenant: Tenant, row: Prescription) -> Items:
    """The live items of one prescription, in order."""
    return (await items_service.load(tenant, [row.id]))[row.id]


async def list_public(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[PrescriptionPublic], str | None]:
    """A page of prescriptions with their items (two queries in all; `filters`:
    `queries.lists.PRESCRIPTIONS`'s values)."""
    rows, next_cursor = await list_page(
        tenant, Prescription, PRESCRIPTIONS, filters, query=query, codec=codec
    )
    items = await items_service.load(tenant, [row.id for row in rows])
    return [to_public(row, items[row.id]) for row in rows], next_cursor


async def dated_before(tenant: Tenant, child_id: uuid.UUID, day: date) -> bool:
    """Whether a live prescription of the child begins before `day` (a new birth date)."""
    mine = col(Prescription.child_id) == child_id
    return await any_live(tenant, Prescription, mine, col(Prescription.period_start) < day)
