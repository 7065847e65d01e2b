"""The dosed items of a prescription: checked, written and read in batches (never one by one)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import col

from dmi_api.errors import FieldProblem
from dmi_api.models import Exercise, PrescriptionItem
from dmi_api.models.columns import utcnow
from dmi_api.queries.predicates import kept_item, live
from dmi_api.schemas.prescriptions import (
    PrescriptionItemCreate,
    PrescriptionItemPublic,
    PrescriptionItemReplace,
)
from dmi_api.tenant_scope import Tenant

_DOSE_FIELDS = (
    "exercise_id",
    "repetitions",
    "sets",
    "hold_seconds",
    "support_point",
    "side",
    "times_per_day",
    "days_per_week",
    "instructions",
)


def to_public(item: PrescriptionItem) -> PrescriptionItemPublic:
    """The API view of an item."""
    return PrescriptionItemPublic.model_validate(item, from_attributes=True)


async def load(
    tenant: Tenant, prescription_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PrescriptionItem]]:
    """The live items of these prescriptions, in order, with one query."""
    found: dict[uuid.UUID, list[PrescriptionItem]] = {pid: [] for pid in prescription_ids}
    if not prescription_ids:
        return found
    statement = (
        tenant.select(PrescriptionItem)
        .where(
            col(PrescriptionItem.prescription_id).in_(list(prescription_ids)),
            kept_item(PrescriptionItem),
        )
        .order_by(col(PrescriptionItem.prescription_id), col(PrescriptionItem.position))
    )
    for item in (await tenant.db.execute(statement)).scalars():
        found[item.prescription_id].append(item)
    return found


async def _live_exercise_ids(tenant: Tenant, wanted: set[uuid.UUID]) -> set[uuid.UUID]:
    if not wanted:
        return set()
    statement = tenant.select(Exercise).where(col(Exercise.id).in_(list(wanted)), live(Exercise))
    return {row.id for row in (await tenant.db.execute(statement)).scalars()}


async def check(
    tenant: Tenant,
    items: Sequence[PrescriptionItemCreate],
    current: Sequence[PrescriptionItem] = (),
) -> list[FieldProblem]:
    """Errors of an item list: unknown or repeated item ids, exercises not in the live library.

    An item kept with the exercise it already had is not re-checked: deleting an exercise from
    the library must not make its running prescriptions uneditable.
    """
    errors: list[FieldProblem] = []
    existing = {item.id: item for item in current}
    seen: set[uuid.UUID] = set()
    to_check: dict[int, uuid.UUID] = {}
    for index, item in enumerate(items):
        item_id = item.id if isinstance(item, PrescriptionItemReplace) else None
        if item_id is not None:
            if item_id not in existing:
                errors.append(
                    FieldProblem(
                        f"#/items/{index}/id",
                        "No such item in this prescription.",
                        "reference_not_found",
                        reference=item_id,
                    )
                )
            elif item_id in seen:
                errors.append(
                    FieldProblem(
                        f"#/items/{index}/id", "This item is listed twice.", "duplicate_item"
                    )
                )
            seen.add(item_id)
            kept = existing.get(item_id)
            if kept is not None and kept.exercise_id == item.exercise_id:
                continue
        to_check[index] = item.exercise_id
    live = await _live_exercise_ids(tenant, set(to_check.values()))
    errors += [
        FieldProblem(
            f"#/items/{index}/exercise_id",
            "No such exercise in this clinic.",
            "reference_not_found",
            reference=exercise_id,
        )
        for index, exercise_id in to_check.items()
        if exercise_id not in live
    ]
    return errors


def _dose(item: PrescriptionItemCreate) -> dict[str, Any]:
    return item.model_dump(include=set(_DOSE_FIELDS))


def add_all(
    tenant: Tenant, prescription_id: uuid.UUID, items: Sequence[PrescriptionItemCreate]
) -> list[PrescriptionItem]:
    """Stage new items in the order given (the caller checked them)."""
    return [
        tenant.add(
            PrescriptionItem(
                clinic_id=tenant.clinic_id,
                prescription_id=prescription_id,
                position=position,
                **_dose(item),
            )
        )
        for position, item in enumerate(items)
    ]


def replace(
    tenant: Tenant,
    prescription_id: uuid.UUID,
    current: Sequence[PrescriptionItem],
    items: Sequence[PrescriptionItemReplace],
) -> list[PrescriptionItem]:
    """Make `items` the live list: known ids are updated in place, new ones added, others removed.

    Removed items stay as rows (with `removed_at`) so that session records naming them stay valid.
    """
    existing = {item.id: item for item in current}
    result: list[PrescriptionItem] = []
    for position, item in enumerate(items):
        row = existing.pop(item.id, None) if item.id is not None else None
        if row is None:
            row = tenant.add(
                PrescriptionItem(
                    clinic_id=tenant.clinic_id,
                    prescription_id=prescription_id,
                    exercise_id=item.exercise_id,
                    position=position,
                )
            )
        row.position = position
        for name, value in _dose(item).items():
            setattr(row, name, value)
        result.append(row)
    removed_at = utcnow()
    for row in existing.values():
        row.removed_at = removed_at
    return result
