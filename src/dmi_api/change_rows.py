"""What a change of a clinical resource writes besides its row, said once for both paths: its
kept version, its audit event and its change event.

`change_rows` takes values (the session path stages them, `services.history.record_change`) or
SQL expressions (a one-statement write inserts them in CTEs from the written row,
`direct.session_records`): whichever path serves a write, the same function says what it
records.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from dmi_api.audit_trail import AUDIT_TABLE, audit_values
from dmi_api.auth.principal import Principal
from dmi_api.models import ChangeEvent, ResourceVersion
from dmi_api.models.columns import utcnow
from dmi_api.request_context import current_client_ip, current_request_id

VERSION_TABLE: Table = ResourceVersion.__table__  # type: ignore[attr-defined]
EVENT_TABLE: Table = ChangeEvent.__table__  # type: ignore[attr-defined]
OUTCOMES = {"create": 201, "update": 200, "delete": 204}


@dataclass(frozen=True)
class Change:
    """One change: the resource's type, id, new version and snapshot, its child, how it is
    audited (`action`, `outcome`; `audited_type`/`audited_id` when the audit event names another
    resource than the versioned one, as an amendment of a session record) and its change event
    (`event_type`, `changed_fields`: `dmi_api.change_events`)."""

    resource_type: Any
    resource_id: Any
    version: Any
    snapshot: Any
    child_id: Any
    action: Any
    outcome: Any
    event_type: Any
    changed_fields: Any
    audited_type: Any = None
    audited_id: Any = None


@dataclass(frozen=True)
class Actor:
    """Who made the change and where (values, or SQL expressions); `text` turns an id into the
    audit trail's text form. No `token_jti` etc. needed when not `audited`."""

    clinic_id: Any
    client_id: Any
    text: Callable[[Any], Any]
    at: Any
    event_id: Any = None
    token_jti: Any = None
    request_id: Any = None
    source_ip: Any = None
    audited: bool = True
    new_id: Callable[[], Any] = uuid.uuid4  # a change event's id


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def actor_of(principal: Principal) -> Actor:
    """The request's caller, as values."""
    return Actor(
        clinic_id=principal.clinic_id,
        client_id=principal.client_id,
        text=_text,
        at=utcnow(),
        event_id=uuid.uuid4(),
        token_jti=principal.token_jti,
        request_id=current_request_id(),
        source_ip=current_client_ip(),
    )


def change_rows(change: Change, actor: Actor) -> list[tuple[Table, dict[str, Any]]]:
    """The rows a change writes besides its own: table and columns, in order."""
    rows = [
        (
            VERSION_TABLE,
            {
                "clinic_id": actor.clinic_id,
                "resource_type": change.resource_type,
                "resource_id": change.resource_id,
                "version": change.version,
                "snapshot": change.snapshot,
                "recorded_at": actor.at,
                "client_id": actor.client_id,
            },
        )
    ]
    if actor.audited:
        audited_id = change.resource_id if change.audited_id is None else change.audited_id
        event = audit_values(
            event_id=actor.event_id,
            occurred_at=actor.at,
            clinic_id=actor.clinic_id,
            client_id=actor.text(actor.client_id),
            token_jti=actor.token_jti,
            action=change.action,
            resource_type=change.audited_type or change.resource_type,
            resource_id=actor.text(audited_id),
            child_id=change.child_id,
            outcome=change.outcome,
            request_id=actor.request_id,
            source_ip=actor.source_ip,
            reference_field=None,
            reference_id=None,
        )
        rows.append((AUDIT_TABLE, event))
    rows.append((EVENT_TABLE, event_values(change, actor)))
    return rows


def event_values(change: Change, actor: Actor) -> dict[str, Any]:
    """A change event's columns; its position in the feed (`tx`, `seq`) is the INSERT's own
    (`models.events`)."""
    return {
        "clinic_id": actor.clinic_id,
        "id": actor.new_id(),
        "type": change.event_type,
        "occurred_at": actor.at,
        "resource_type": change.resource_type,
        "resource_id": change.resource_id,
        "version": change.version,
        "child_id": change.child_id,
        "changed_fields": change.changed_fields,
    }
