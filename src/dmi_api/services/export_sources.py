"""What a bulk export writes, per output type: the tables it reads and how a chunk of their rows
becomes resources (FHIR's: `fhir_sources`; the `/v1` representations: `v1_sources`), and what a
tombstone deletes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlmodel import col

from dmi_api.fhir.identifiers import identifier_system
from dmi_api.models import Clinic, PrescriptionItem
from dmi_api.queries.json_text import json_text
from dmi_api.queries.predicates import columns, kept_item
from dmi_api.tenant_scope import Tenant

Resource = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """What a chunk's rendering needs besides its rows: the clinic's view of the snapshot, and
    the issuer its identifier systems are named under."""

    tenant: Tenant
    issuer: str
    # What is read once for the whole context, when first needed (the clinic's id key).
    _loaded: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def system(self, kind: str) -> str:
        """The clinic's identifier system of a kind (`mrn`, `practitioner`, ...)."""
        return identifier_system(self.issuer, self.tenant.clinic_id, kind)

    async def fhir_id_key(self) -> bytes:
        """The clinic's key of the FHIR ids that must not show what they name (`Clinic`), read
        once per context."""
        key = self._loaded.get("fhir_id_key")
        if key is None:
            clinic = self.tenant.clinic_id
            statement = select(col(Clinic.fhir_id_key)).where(col(Clinic.id) == clinic)
            key = bytes((await self.tenant.db.execute(statement)).scalar_one())
            self._loaded["fhir_id_key"] = key
        return key


# A chunk of rows, rendered: the resources of each row, in the rows' order.
Render = Callable[[Context, Sequence[Any]], Awaitable[list[list[Resource]]]]


def whole_id(resource_id: str) -> uuid.UUID | None:
    """The row of a resource whose id is its row's UUID."""
    try:
        return uuid.UUID(resource_id)
    except ValueError:
        return None


@dataclass(frozen=True)
class Part:
    """One table an output type reads, and how FHIR's searches find its rows.

    `render`: a chunk of rows as resources (a tombstone's, rendered, are what it deleted);
    `where`: which live rows yield resources at all; `patient`, `date`, `identifier`: the
    columns FHIR's `patient`, `date` and `identifier` search; `row_id` (or, when it takes a
    query, `locate`): the row a resource id comes from (None: none of this part's);
    `audited`: the resource its audit events name.
    """

    model: type[Any]
    render: Render
    where: Callable[[], ColumnElement[bool]] | None = None
    patient: str | None = None
    date: str | tuple[str, ...] | None = None  # several: the first that is set
    identifier: str | None = None
    row_id: Callable[[str], uuid.UUID | None] = field(default=whole_id)
    locate: Callable[[Context, str], Awaitable[uuid.UUID | None]] | None = None
    # Whether a live row's resources can vanish as it changes (a caregiver removed): an
    # incremental export then deletes them (their ids from the version kept at `since`).
    vanishing: bool = False
    # The columns its render reads (None: all): a session's notes are never decoded for an
    # Encounter.
    columns: tuple[str, ...] | None = None
    # What it reads besides them, labelled (its render reads them by name).
    extra: Callable[[], tuple[ColumnElement[Any], ...]] = tuple
    # The columns its render writes out as they are read, read as their JSON text
    # (`queries.json_text`; a JSON column's text is written by `stored`).
    as_read: tuple[str, ...] = ()

    def select(self, tenant: Tenant) -> Select[Any]:
        """`SELECT` of the clinic's rows of this part's table (its columns), as plain rows."""
        statement = tenant.select_rows(self.model)
        if self.columns is None and not self.as_read:
            return statement.add_columns(*self.extra())
        c = columns(self.model)
        chosen = (
            json_text(c[name]).label(name) if name in self.as_read else c[name]
            for name in (self.columns or c.keys())
        )
        return statement.with_only_columns(*chosen).add_columns(*self.extra())

    audited: str = ""


@dataclass(frozen=True)
class Source:
    """One output type (one file or more): its name in the manifest, whether it belongs to the
    patients' compartments (`Patient/$export`), and the tables it reads."""

    name: str
    patient: bool
    parts: tuple[Part, ...]


async def items_of(
    context: Context, rows: Sequence[Any], *, kept: bool = False
) -> dict[uuid.UUID, list[Any]]:
    """The items of these prescriptions (`kept`: only those still on them), in order, as rows."""
    found: dict[uuid.UUID, list[Any]] = {row.id: [] for row in rows}
    if not found:
        return found
    c = columns(PrescriptionItem)
    statement = context.tenant.select_rows(PrescriptionItem).where(
        c.prescription_id.in_(list(found)), *([kept_item(PrescriptionItem)] if kept else [])
    )
    for item in await context.tenant.rows(statement.order_by(c.position, c.id)):
        found[item.prescription_id].append(item)
    return found
