"""Resources that vanished from a live record since an instant (a caregiver removed, a
diagnosis dropped, a performed exercise taken out): an incremental export deletes them. Their
ids come from rendering the record's version kept at that instant (`resource_version`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlmodel import col

from dmi_api.fhir.bundles import deletion_bundle
from dmi_api.models import ResourceVersion
from dmi_api.queries.predicates import table_of
from dmi_api.services.export_sources import Context, Part, Resource

_PARSERS: dict[type, Any] = {
    datetime: lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")),
    date: date.fromisoformat,
    uuid.UUID: uuid.UUID,
}


def _as_row(model: type[Any], snapshot: dict[str, Any]) -> SimpleNamespace:
    """A kept version (the API's JSON of the row) as a row: its columns, typed as stored."""
    values: dict[str, Any] = {}
    for column in table_of(model).columns:
        value = snapshot.get(column.name)
        if isinstance(value, str):
            kind = getattr(column.type, "impl", column.type)  # a decorated type: what it stores
            try:
                parse = _PARSERS.get(kind.python_type)
            except NotImplementedError:
                parse = None
            value = parse(value) if parse is not None else value
        values[column.name] = value
    return SimpleNamespace(**values)


async def _kept_at(
    context: Context, part: Part, since: datetime, ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Each row's last version recorded at or before `since` (none: created after it)."""
    statement = (
        context.tenant.select(ResourceVersion)
        .where(
            col(ResourceVersion.resource_type) == part.audited,
            col(ResourceVersion.resource_id).in_(ids),
            col(ResourceVersion.recorded_at) <= since,
        )
        .order_by(col(ResourceVersion.resource_id), col(ResourceVersion.version))
    )
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for version in (await context.tenant.db.execute(statement)).scalars():
        found[version.resource_id] = version.snapshot
    return found


async def _rendered(context: Context, part: Part, row: Any) -> list[Resource]:
    try:
        [found] = await part.render(context, [row])
    except (AttributeError, KeyError, TypeError, ValueError):
        return []  # a version older than a mapping's inputs: nothing known to delete
    return found


async def vanished(
    part: Part, context: Context, since: datetime, rows: list[Any]
) -> list[Resource]:
    """For each changed row: a DELETE Bundle of the resources it had at `since` and has not now."""
    kept = await _kept_at(context, part, since, [row.id for row in rows])
    if not kept:
        return []
    now = await part.render(context, rows)
    lines: list[Resource] = []
    for row, found in zip(rows, now, strict=True):
        snapshot = kept.get(row.id)
        if snapshot is None:
            continue
        current = {resource["id"] for resource in found}
        before = await _rendered(context, part, _as_row(part.model, snapshot))
        gone = [resource for resource in before if resource["id"] not in current]
        if gone:
            lines.append(deletion_bundle(gone))
    return lines
