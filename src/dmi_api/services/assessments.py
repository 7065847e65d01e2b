"""Assessments: instrument items and entered values, checked against the instrument catalogue."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import col

from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.models import Assessment, Child, Practitioner
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import ASSESSMENTS
from dmi_api.schemas.assessments import (
    REQUIRED,
    AssessmentCreate,
    AssessmentPatch,
    AssessmentPublic,
)
from dmi_api.schemas.instruments import entered_errors, goal_dimension_errors, item_errors
from dmi_api.services import rules_in_effect
from dmi_api.services.assessment_scores import keep_version, rescore_child, snapshot
from dmi_api.services.resources import (
    ListQuery,
    Versioned,
    any_live,
    check_reference,
    list_page,
    lock_child,
    null_problems,
    soft_delete,
    touch,
)
from dmi_api.services.resources import live_child as live_child  # for the nested lists
from dmi_api.tenant_scope import Tenant

RESOURCE = "assessment"
Errors = list[FieldProblem]


def to_public(row: Assessment) -> AssessmentPublic:
    """The API view of a row, without ages."""
    return AssessmentPublic.model_validate(row, from_attributes=True)


async def public_views(tenant: Tenant, rows: list[Assessment]) -> list[AssessmentPublic]:
    """The API views of rows, each with the child's ages on its date (one query per page)."""
    return await rules_in_effect.views_with_ages(
        tenant, rows, to_public, lambda row: row.performed_on
    )


async def public_view(tenant: Tenant, row: Assessment) -> AssessmentPublic:
    """The API view of one row, with the child's ages on its date."""
    return (await public_views(tenant, [row]))[0]


async def _rescore(tenant: Tenant, row: Assessment, client_id: uuid.UUID, *, current: bool) -> None:
    child = await tenant.get(Child, row.child_id)
    assert child is not None, "an assessment always belongs to a child of its clinic"
    rules = await rules_in_effect.load(tenant)
    await rescore_child(tenant, child, rules, client_id=client_id, current=row if current else None)


async def dated_before(tenant: Tenant, child_id: uuid.UUID, day: date) -> bool:
    """Whether a live assessment of the child is dated before `day` (a new birth date)."""
    mine = col(Assessment.child_id) == child_id
    return await any_live(tenant, Assessment, mine, col(Assessment.performed_on) < day)


def _before_birth(child: Child | None, performed_on: date) -> Errors:
    if child is not None and performed_on < child.birth_date:
        detail = "The assessment cannot be before the child's birth."
        return [FieldProblem("#/performed_on", detail, "before_birth")]
    return []


def _content_errors(
    instrument: str,
    items: dict[str, Any],
    entered: dict[str, Any],
    goal_dimensions: list[str],
    *,
    final: bool,
) -> tuple[Errors, dict[str, Any]]:
    """Errors of items, entered values and goals for the instrument; the entered values stored."""
    errors = item_errors(instrument, items)
    more, stored = entered_errors(instrument, entered, final=final)
    return errors + more + goal_dimension_errors(instrument, goal_dimensions), stored


async def create(tenant: Tenant, *, payload: AssessmentCreate, client_id: uuid.UUID) -> Assessment:
    """Add an assessment with all its items, or nothing."""
    await lock_child(tenant, payload.child_id)  # its birth date stays as checked until the commit
    errors, child = await check_reference(tenant, Child, payload.child_id, "#/child_id")
    more, _ = await check_reference(tenant, Practitioner, payload.assessor_id, "#/assessor_id")
    errors += more + _before_birth(child, payload.performed_on)
    content, entered = _content_errors(
        payload.instrument,
        payload.items,
        payload.entered,
        list(payload.goal_dimensions),
        final=payload.status == "final",
    )
    errors += content
    if errors:
        raise ValidationProblemError(errors)
    fields = payload.model_dump(exclude={"entered"})
    row = tenant.add(Assessment(**fields, entered=entered, clinic_id=tenant.clinic_id))
    await tenant.db.flush()
    await _rescore(tenant, row, client_id, current=True)
    await keep_version(tenant, row, client_id)
    return row


async def update(
    tenant: Tenant, *, row: Assessment, patch: AssessmentPatch, client_id: uuid.UUID
) -> Assessment:
    """Apply a PATCH (the caller checked If-Match), checked as a whole against the instrument."""
    sent = patch.model_fields_set
    errors = null_problems(patch, REQUIRED)
    if errors:
        raise ValidationProblemError(errors)
    if patch.status == "draft" and row.status == "final":
        detail = "A final assessment cannot return to draft."
        errors.append(FieldProblem("#/status", detail, "invalid_transition"))
    if "assessor_id" in sent:
        more, _ = await check_reference(tenant, Practitioner, patch.assessor_id, "#/assessor_id")
        errors += more
    if patch.performed_on is not None:
        errors += _before_birth(await tenant.get(Child, row.child_id), patch.performed_on)
    status = patch.status or row.status
    content, entered = _content_errors(
        row.instrument,
        patch.items if patch.items is not None else row.items,
        patch.entered if patch.entered is not None else row.entered,
        list(patch.goal_dimensions if patch.goal_dimensions is not None else row.goal_dimensions),
        final=status == "final",
    )
    errors += content
    if errors:
        raise ValidationProblemError(errors)
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True, exclude={"entered"})
    for name, value in changes.items():
        setattr(row, name, value)
    row.entered = entered
    touch(row)
    await tenant.db.flush()
    await _rescore(tenant, row, client_id, current=True)
    await keep_version(tenant, row, client_id)
    return row


async def delete(tenant: Tenant, *, row: Assessment, client_id: uuid.UUID) -> None:
    """Tombstone an assessment (a later GMFM-88's change is then against the one before)."""
    soft_delete(row)
    await tenant.db.flush()
    await keep_version(tenant, row, client_id)
    await _rescore(tenant, row, client_id, current=False)


get = Versioned(RESOURCE, Assessment, snapshot, of_child=True).get


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Assessment], str | None]:
    """A page of rows (`filters`: `queries.lists.ASSESSMENTS`'s values)."""
    return await list_page(tenant, Assessment, ASSESSMENTS, filters, query=query, codec=codec)
