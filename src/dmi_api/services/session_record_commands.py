"""Changing session records: create, patch, sign, amend and delete, each kept as a version."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from dmi_api.audit_trail import Action
from dmi_api.errors import ValidationProblemError
from dmi_api.models import Child, Practitioner, SessionAmendment, SessionRecord
from dmi_api.models.columns import utcnow
from dmi_api.schemas.session_records import (
    REQUIRED,
    AmendmentCreate,
    SessionRecordCreate,
    SessionRecordPatch,
    SignRequest,
)
from dmi_api.services.history import record_change
from dmi_api.services.resources import (
    check_reference,
    find_reference,
    null_problems,
    soft_delete,
    touch,
)
from dmi_api.services.session_record_queries import amendments_of, exercise_references
from dmi_api.services.session_record_rules import (
    AMENDMENT,
    RESOURCE,
    AlreadySignedError,
    Found,
    NotSignedError,
    SessionSignedError,
    before_birth,
    duration,
    exercise_problems,
    fresh_entries,
    new_record,
    patched_values,
    practitioner_rule,
)
from dmi_api.services.session_record_views import aware, documents_form, snapshot
from dmi_api.tenant_scope import Tenant


async def _keep(
    tenant: Tenant,
    row: SessionRecord,
    amendments: Sequence[SessionAmendment],
    client_id: uuid.UUID,
    audited: tuple[str, uuid.UUID] | None = None,
) -> dict[str, Any]:
    """Keep this version and audit it (`audited`: as a change of another resource); returns
    it as the API shows it (the response body, validated once; the row as it was, when this
    was no change)."""
    body = snapshot(row, amendments)
    action: Action | None = "create" if audited else None
    if await record_change(tenant, RESOURCE, row, body, client_id, action=action, audited=audited):
        return body
    return snapshot(row, amendments)


async def create(
    tenant: Tenant, *, payload: SessionRecordCreate, client_id: uuid.UUID
) -> tuple[SessionRecord, dict[str, Any]]:
    """Add a record with all its exercises, or nothing; the row and its JSON body."""
    new = new_record(payload, tenant.clinic_id)
    errors, child = await check_reference(tenant, Child, payload.child_id, "#/child_id")
    more, _ = await check_reference(
        tenant, Practitioner, payload.practitioner_id, "#/practitioner_id"
    )
    found = Found(birth_date=None, reference_errors=errors + more)
    if child is not None:
        live_exercises, items = await exercise_references(tenant, child.id, new.fresh)
        found = Found(child.birth_date, errors + more, live_exercises, items)
    row = tenant.add(SessionRecord(**new.checked(found)))
    await tenant.db.flush()
    return row, await _keep(tenant, row, [], client_id)


def _refuse_if_signed(row: SessionRecord) -> None:
    if row.signed_at is not None:
        raise SessionSignedError(
            "The record is signed: it cannot be changed or deleted, only amended."
        )


async def update(
    tenant: Tenant, *, row: SessionRecord, patch: SessionRecordPatch, client_id: uuid.UUID
) -> tuple[SessionRecord, dict[str, Any]]:
    """Apply a PATCH to an unsigned record (the caller checked If-Match), all or nothing; the
    row and its JSON body."""
    _refuse_if_signed(row)
    sent = patch.model_fields_set
    errors = null_problems(patch, REQUIRED | {"exercises", "notes"})
    if errors:
        raise ValidationProblemError(errors)
    session_type = patch.type or row.type
    practitioner_id = patch.practitioner_id if "practitioner_id" in sent else row.practitioner_id
    if "practitioner_id" in sent:
        more, _ = await check_reference(tenant, Practitioner, practitioner_id, "#/practitioner_id")
        errors += more
    errors += practitioner_rule(session_type, practitioner_id)
    started = patch.started_at or aware(row.started_at)
    if patch.started_at is not None:
        child = await tenant.get(Child, row.child_id)
        errors += before_birth(child.birth_date if child is not None else None, started)
    duration_errors, minutes = duration(
        started, patch.duration_minutes, patch.ended_at, current=row.duration_minutes
    )
    errors += duration_errors
    if patch.exercises is not None:
        fresh = fresh_entries(patch.exercises, row.exercises)
        live_exercises, items = await exercise_references(tenant, row.child_id, fresh)
        errors += exercise_problems(fresh, live_exercises, items)
    if errors:
        raise ValidationProblemError(errors)
    for name, value in patched_values(patch, minutes).items():
        setattr(row, name, value)
    row.documents_form = documents_form(row.exercises, row.notes)
    touch(row)
    await tenant.db.flush()
    return row, await _keep(tenant, row, [], client_id)


async def delete(tenant: Tenant, *, row: SessionRecord, client_id: uuid.UUID) -> None:
    """Tombstone an unsigned record."""
    _refuse_if_signed(row)
    soft_delete(row)
    await tenant.db.flush()
    await _keep(tenant, row, [], client_id)


async def sign(
    tenant: Tenant, *, row: SessionRecord, payload: SignRequest, client_id: uuid.UUID
) -> tuple[SessionRecord, dict[str, Any]]:
    """Sign a record (the caller checked If-Match); from now on it is only amended. The row and
    its JSON body."""
    if row.signed_at is not None:
        raise AlreadySignedError("The record is already signed.")
    await find_reference(tenant, Practitioner, payload.signed_by, pointer="#/signed_by")
    row.signed_by = payload.signed_by
    touch(row)
    row.signed_at = row.updated_at
    await tenant.db.flush()
    return row, await _keep(tenant, row, [], client_id)


async def amend(
    tenant: Tenant, *, row: SessionRecord, payload: AmendmentCreate, client_id: uuid.UUID
) -> SessionAmendment:
    """Append an amendment to a signed record; the record gets a new version (its ETag moves)."""
    if row.signed_at is None:
        raise NotSignedError("Only a signed record is amended; change this one with PATCH.")
    await find_reference(tenant, Practitioner, payload.author_id, pointer="#/author_id")
    amendment = tenant.add(
        SessionAmendment(
            clinic_id=tenant.clinic_id,
            session_record_id=row.id,
            author_id=payload.author_id,
            reason=payload.reason,
            text=payload.text,
            created_at=utcnow(),
            client_id=client_id,
        )
    )
    touch(row)
    await tenant.db.flush()
    audited = (AMENDMENT, amendment.id)
    await _keep(tenant, row, await amendments_of(tenant, row), client_id, audited)
    return amendment
