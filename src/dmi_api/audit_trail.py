"""Recording the audit trail: metadata of every access, never payloads, names or tokens."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import Table, event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from dmi_api.auth.principal import Principal
from dmi_api.models import AuditEvent, UnattributedAuditEvent
from dmi_api.models.columns import utcnow
from dmi_api.request_context import current_client_ip, current_request_id

Action = Literal["read", "list", "create", "update", "delete", "denied", "token"]


def record_event(
    db: AsyncSession,
    *,
    action: Action,
    resource_type: str,
    outcome: int,
    principal: Principal | None = None,
    clinic_id: uuid.UUID | None = None,
    client_id: str | None = None,
    resource_id: uuid.UUID | str | None = None,
    child_id: uuid.UUID | None = None,
    reference_field: str | None = None,
    reference_id: uuid.UUID | None = None,
) -> None:
    """Stage an audit event in the caller's transaction (it commits or fails with the change).

    Events are written by one INSERT just before the commit (`_write_staged`): no ORM object
    and no flush per event, on the hot path of every request. An event of no clinic (no
    principal, no clinic given) goes to the table of unattributed events (`models.audit`).
    """
    owner = principal.clinic_id if principal else clinic_id
    values = audit_values(
        event_id=uuid.uuid4(),
        occurred_at=utcnow(),
        clinic_id=owner,
        client_id=str(principal.client_id) if principal else client_id,
        token_jti=principal.token_jti if principal else None,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        child_id=child_id,
        outcome=outcome,
        request_id=current_request_id(),
        source_ip=current_client_ip(),
        reference_field=reference_field,
        reference_id=str(reference_id) if reference_id is not None else None,
    )
    if owner is None:
        del values["clinic_id"]
        stage(db, UNATTRIBUTED_TABLE, values)
    else:
        stage(db, AUDIT_TABLE, values)


def stage(db: AsyncSession, table: Table, values: dict[str, Any]) -> None:
    """Stage a row of `table` to be written by one INSERT per table just before the commit
    (`_write_staged`), in the transaction it belongs to: audit events, kept versions."""
    staged: dict[Table, list[dict[str, Any]]] = db.sync_session.info.setdefault(_STAGED, {})
    staged.setdefault(table, []).append(values)


def staged_rows(db: AsyncSession, table: Table) -> list[dict[str, Any]]:
    """The rows of `table` staged in this transaction and not yet written."""
    staged: dict[Table, list[dict[str, Any]]] = db.sync_session.info.get(_STAGED, {})
    return staged.get(table, [])


def audit_values(
    *,
    event_id: Any,
    occurred_at: Any,
    clinic_id: Any,
    client_id: Any,
    token_jti: Any,
    action: Any,
    resource_type: Any,
    resource_id: Any,
    child_id: Any,
    outcome: Any,
    request_id: Any,
    source_ip: Any,
    reference_field: Any,
    reference_id: Any,
) -> dict[str, Any]:
    """An audit event's columns, from values (the session path) or from SQL expressions (a
    direct statement's `logged` CTE): the one place that says what an event records."""
    return {
        "id": event_id,
        "occurred_at": occurred_at,
        "clinic_id": clinic_id,
        "client_id": client_id,
        "token_jti": token_jti,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "child_id": child_id,
        "outcome": outcome,
        "request_id": request_id,
        "source_ip": source_ip,
        "reference_field": reference_field,
        "reference_id": reference_id,
    }


_STAGED = "dmi.staged_rows"
AUDIT_TABLE: Table = AuditEvent.__table__  # type: ignore[attr-defined]
UNATTRIBUTED_TABLE: Table = UnattributedAuditEvent.__table__  # type: ignore[attr-defined]


@event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    # Runs inside the commit (in the session's greenlet on the async engine): the events are
    # part of the transaction they describe.
    staged: dict[Table, list[dict[str, Any]]] = session.info.pop(_STAGED, None) or {}
    for table, rows in staged.items():
        # A Core insert of each table: no ORM bulk-persistence machinery on every request.
        session.execute(insert(table), rows)


@event.listens_for(Session, "after_soft_rollback")
def _drop_staged(session: Session, _previous: object) -> None:
    # What the rolled-back transaction did is not recorded as done.
    session.info.pop(_STAGED, None)
