"""Version history: every version of a resource as the API showed it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col

from dmi_api.models import ResourceVersion
from dmi_api.tenancy import Tenant


def record_version(
    tenant: Tenant,
    *,
    resource_type: str,
    resource_id: uuid.UUID,
    version: int,
    snapshot: dict[str, Any],
    client_id: uuid.UUID | None,
) -> None:
    """Keep this version (in the transaction that writes it)."""
    tenant.add(
        ResourceVersion(
            clinic_id=tenant.clinic_id,
            resource_type=resource_type,
            resource_id=resource_id,
            version=version,
            snapshot=snapshot,
            client_id=client_id,
        )
    )


async def list_versions(
    tenant: Tenant, *, resource_type: str, resource_id: uuid.UUID
) -> list[ResourceVersion]:
    """All kept versions of one resource, oldest first."""
    statement = (
        tenant.select(ResourceVersion)
        .where(
            col(ResourceVersion.resource_type) == resource_type,
            col(ResourceVersion.resource_id) == resource_id,
        )
        .order_by(col(ResourceVersion.version))
    )
    return list((await tenant.db.execute(statement)).scalars().all())
