"""Version history: every version of a resource as the API showed it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col

from dmi_api.models import ResourceVersion
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.models.columns import utcnow
from dmi_api.pagination import CursorCodec, invalid_cursor
from dmi_api.schemas.base import VersionPublic
from dmi_api.tenant_scope import Tenant


def record_version(
    tenant: Tenant,
    resource_type: str,
    row: ClinicalRow,
    snapshot: dict[str, Any],
    client_id: uuid.UUID | None,
) -> None:
    """Keep the row's current version (in the transaction that writes it)."""
    values = version_values(
        clinic_id=tenant.clinic_id,
        resource_type=resource_type,
        resource_id=row.id,
        version=row.version,
        snapshot=snapshot,
        recorded_at=utcnow(),
        client_id=client_id,
    )
    tenant.add(ResourceVersion(**values))


def version_values(
    *,
    clinic_id: Any,
    resource_type: Any,
    resource_id: Any,
    version: Any,
    snapshot: Any,
    recorded_at: Any,
    client_id: Any,
) -> dict[str, Any]:
    """A kept version's columns, from values (the session path) or SQL expressions (the `kept`
    CTE of a one-statement write): the one place that says what a version keeps."""
    return {
        "clinic_id": clinic_id,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "version": version,
        "snapshot": snapshot,
        "recorded_at": recorded_at,
        "client_id": client_id,
    }


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
