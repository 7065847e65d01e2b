"""Version history: every version of a resource as the API showed it."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sqlalchemy import inspect
from sqlmodel import col

from dmi_api.audit_trail import Action, record_event, stage, staged_rows
from dmi_api.change_events import changed_fields, event_type
from dmi_api.change_rows import (
    EVENT_TABLE,
    OUTCOMES,
    VERSION_TABLE,
    Actor,
    Change,
    actor_of,
    change_rows,
    event_values,
)
from dmi_api.models import Child, ResourceVersion
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.models.columns import utcnow
from dmi_api.pagination import CursorCodec, invalid_cursor
from dmi_api.schemas.base import VersionPublic
from dmi_api.tenant_scope import Tenant

# A touched row's version and `updated_at` from before, in its ORM state (`remember_untouched`).
_UNTOUCHED = "dmi.untouched"
_TOUCHED = frozenset({"version", "updated_at"})  # what `touch` moves


def child_of(row: ClinicalRow) -> uuid.UUID | None:
    """The child a row is about, for its audit events: itself, its child, or none."""
    return row.id if isinstance(row, Child) else getattr(row, "child_id", None)


async def record_change(
    tenant: Tenant,
    resource_type: str,
    row: ClinicalRow,
    snapshot: dict[str, Any],
    client_id: uuid.UUID | None,
    *,
    action: Action | None = None,
    audited: tuple[str, uuid.UUID] | None = None,
) -> bool:
    """Keep the row's current version, audit the change and emit its change event, in the
    transaction that writes it (`change_rows`); whether it was a change. `action` by default
    from the row: its first version is a create, a tombstone a delete, else an update;
    `audited`: the audit event's resource, if not this one (an amendment). Without a caller
    (an operator command) the version is kept and the event emitted, and nothing is audited.

    An update that changes nothing (a PATCH of `{}` or of the values stored, a PUT of the same
    child: the row's columns as they were when it was touched, and a version equal to the one
    before) is no change: `touch` is taken back (the row keeps its version, ETag and
    `updated_at`), no version is kept, no change event emitted (a webhook receiver echoing its
    updates back would loop), and the audit event is the `read` it was: the caller was shown
    the row, nothing was changed. The rule is this one, for every resource."""
    if action is None:
        action = "create" if row.version == 1 else "delete" if row.deleted_at else "update"
    before = await _kept_snapshot(tenant, resource_type, row.id, row.version - 1)
    changed = changed_fields(before, snapshot) if action != "delete" else ["deleted_at"]
    stored = inspect(row).info.pop(_UNTOUCHED, None)
    no_op = action == "update" and audited is None and before is not None and not changed
    if no_op and stored is not None and _columns_unchanged(row, stored):
        row.version, row.updated_at = stored["version"], stored["updated_at"]
        if tenant.principal is not None:
            record_event(
                tenant.db,
                action="read",
                resource_type=resource_type,
                outcome=200,
                principal=tenant.principal,
                resource_id=row.id,
                child_id=child_of(row),
            )
        return False
    kind = event_type(resource_type, action, changed, snapshot, amended=audited is not None)
    change = Change(
        resource_type,
        row.id,
        row.version,
        snapshot,
        child_of(row),
        action,
        OUTCOMES[action],
        kind,
        changed,
        *(audited or (None, None)),
    )
    for table, values in change_rows(change, _actor(tenant, client_id)):
        stage(tenant.db, table, values)
    return True


def remember_untouched(row: ClinicalRow) -> None:
    """Keep a row's columns as stored before a change (`resources.touch`: the values its ORM
    state has from before the changes pending in it), for `record_change` to tell whether the
    change is none and to put back its version and `updated_at` if so. A column not loaded
    is left out: a change, then."""
    state = inspect(row)
    if _UNTOUCHED in state.info:
        return
    stored: dict[str, Any] = {}
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if history.deleted or history.unchanged:
            value = (history.deleted or history.unchanged)[0]
            stored[attribute.key] = copy.deepcopy(value)  # a JSON value may change in place
    state.info[_UNTOUCHED] = stored


def _columns_unchanged(row: ClinicalRow, stored: dict[str, Any]) -> bool:
    """Whether every column of the row, its version and `updated_at` aside, has the value it
    had when touched (the kept version alone may be stale: a column rewritten since)."""
    state = inspect(row)
    return all(
        attribute.key in _TOUCHED
        or (attribute.key in stored and stored[attribute.key] == state.dict.get(attribute.key))
        for attribute in state.mapper.column_attrs
    )


def record_change_event(
    tenant: Tenant,
    resource_type: str,
    resource_id: uuid.UUID,
    verb: str,
    changed: list[str],
    *,
    version: int | None = None,
) -> None:
    """Only the change event of a change, in its transaction: for a resource whose versions
    are not kept (an API client; a webhook endpoint the delivery worker disables)."""
    kind = f"{resource_type}.{verb}"
    change = Change(resource_type, resource_id, version, None, None, None, None, kind, changed)
    stage(tenant.db, EVENT_TABLE, event_values(change, _actor(tenant, None)))


def record_due_event(tenant: Tenant, child_id: uuid.UUID, instrument: str) -> None:
    """The `assessment.due` event of one instrument of a child (written by the scheduled job:
    no client); the resource is the child, `changed_fields` names the instrument."""
    change = Change(
        "child", child_id, None, None, child_id, None, None, "assessment.due", [instrument]
    )
    stage(tenant.db, EVENT_TABLE, event_values(change, _actor(tenant, None)))


def _actor(tenant: Tenant, client_id: uuid.UUID | None) -> Actor:
    principal = tenant.principal
    if principal is not None:
        return actor_of(principal)
    return Actor(tenant.clinic_id, client_id, str, utcnow(), audited=False)


async def _kept_snapshot(
    tenant: Tenant, resource_type: str, resource_id: uuid.UUID, version: int
) -> dict[str, Any] | None:
    """A kept version's snapshot (None: there is none, as before a first version)."""
    if version < 1:
        return None
    for staged in staged_rows(tenant.db, VERSION_TABLE):  # kept earlier in this transaction
        if (staged["resource_type"], staged["resource_id"], staged["version"]) == (
            resource_type,
            resource_id,
            version,
        ):
            return dict(staged["snapshot"])
    statement = tenant.select(ResourceVersion).where(
        col(ResourceVersion.resource_type) == resource_type,
        col(ResourceVersion.resource_id) == resource_id,
        col(ResourceVersion.version) == version,
    )
    kept = (await tenant.db.execute(statement)).scalar_one_or_none()
    return None if kept is None else kept.snapshot


async def list_versions(
    tenant: Tenant,
    resource_type: str,
    resource_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> tuple[list[VersionPublic], str | None]:
    """One page of a resource's kept versions, oldest first, and the cursor of the next page."""
    # The cursor is bound to this resource: another resource's cursor is refused.
    context = f"versions|{resource_type}|{resource_id}"
    statement = tenant.select(ResourceVersion).where(
        col(ResourceVersion.resource_type) == resource_type,
        col(ResourceVersion.resource_id) == resource_id,
    )
    if cursor:
        position = codec.decode(cursor, context=context)
        if len(position) != 1 or type(position[0]) is not int:
            raise invalid_cursor()
        statement = statement.where(col(ResourceVersion.version) > position[0])
    statement = statement.order_by(col(ResourceVersion.version)).limit(limit + 1)
    rows = list((await tenant.db.execute(statement)).scalars().all())
    more = len(rows) > limit
    bodies = [
        VersionPublic(
            version=v.version, recorded_at=v.recorded_at, client_id=v.client_id, resource=v.snapshot
        )
        for v in rows[:limit]
    ]
    return bodies, codec.encode([rows[limit - 1].version], context=context) if more else None
