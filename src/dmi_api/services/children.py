"""Children: the clinic's patients, matched to the EHR by `external_id` (its MRN)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy.exc as sa_exc
from sqlmodel import col

from dmi_api.errors import ConflictError, FieldProblem, ValidationProblemError
from dmi_api.models import Child
from dmi_api.pagination import CursorCodec
from dmi_api.queries.lists import CHILDREN
from dmi_api.schemas.base import plain
from dmi_api.schemas.children import (
    REQUIRED,
    ChildCreate,
    ChildPatch,
    ChildPublic,
    ChildReplace,
    consistency_errors,
)
from dmi_api.services import (
    assessments,
    child_results,
    milestones,
    prescriptions,
    rules_in_effect,
    session_record_queries,
)
from dmi_api.services.resources import (
    ListQuery,
    Versioned,
    apply_patch,
    list_page,
    snapshot_of,
    taken,
    touch,
)
from dmi_api.tenant_scope import Tenant

RESOURCE = "child"
# Never echo the MRN: it identifies a patient.
TAKEN = "Another child of the clinic (possibly deleted) has this external_id."


def to_public(row: Child) -> ChildPublic:
    """The API view of a row, without ages."""
    return ChildPublic.model_validate(row, from_attributes=True)


VERSIONED = Versioned(RESOURCE, Child, snapshot_of(to_public, exclude={"age"}), REQUIRED)
get = VERSIONED.get
delete = VERSIONED.delete  # its external_id stays reserved: a PUT by it revives the child


async def public_views(tenant: Tenant, rows: list[Child]) -> list[ChildPublic]:
    """The API views of rows, with each child's ages as of the clinic's today."""
    rules = await rules_in_effect.load(tenant)
    today = rules.today()
    views = []
    for row in rows:
        view = to_public(row)
        view.age = rules_in_effect.age_public(rules, row, today)
        views.append(view)
    return views


async def plain_views(tenant: Tenant, rows: list[Child]) -> list[dict[str, Any]]:
    """`public_views` as plain data, built without validating each row again (hot paths)."""
    rules = await rules_in_effect.load(tenant)
    today = rules.today()
    return [
        plain(row, ChildPublic, age=rules_in_effect.age_plain(rules, row, today)) for row in rows
    ]


async def public_view(tenant: Tenant, row: Child) -> ChildPublic:
    """The API view of one row, with its ages as of the clinic's today."""
    return (await public_views(tenant, [row]))[0]


async def _rescore_if_aged(
    tenant: Tenant, row: Child, before: tuple[Any, ...], client_id: uuid.UUID
) -> None:
    # Ages feed scores (AIMS percentile, HINE optimality, GMFCS band): recompute them.
    if tuple(getattr(row, name) for name in rules_in_effect.AGE_INPUTS) != before:
        rules = await rules_in_effect.load(tenant)
        await child_results.recompute_child(tenant, row, rules, client_id=client_id)


async def find_by_external_id(
    tenant: Tenant, external_id: str, *, for_update: bool = False
) -> Child | None:
    """The clinic's child with this external_id, tombstoned or not (the column is unique)."""
    statement = tenant.select(Child).where(col(Child.external_id) == external_id)
    if for_update:
        statement = statement.with_for_update()
    return (await tenant.db.execute(statement)).scalar_one_or_none()


async def _check(
    tenant: Tenant, values: dict[str, Any], *, row: Child | None, sent: frozenset[str]
) -> None:
    """Cross-field rules on the child as it would be stored; 422 with a pointer per rule."""
    errors = consistency_errors(values, sent=sent)
    birth_date: date = values["birth_date"]
    if row is not None and birth_date > row.birth_date:
        for kind, dated_before in (
            ("Milestones", milestones.dated_before),
            ("Assessments", assessments.dated_before),
            ("Session records", session_record_queries.dated_before),
            ("Prescriptions", prescriptions.dated_before),
        ):
            if await dated_before(tenant, row.id, birth_date):
                detail = f"{kind} of this child are dated before this birth date."
                errors.append(FieldProblem("#/birth_date", detail, "records_before_birth"))
    if errors:
        raise ValidationProblemError(errors)


async def create(tenant: Tenant, *, payload: ChildCreate, client_id: uuid.UUID) -> Child:
    """Add a child (409 when its external_id is taken, tombstones included)."""
    values = payload.model_dump()
    await _check(tenant, values, row=None, sent=frozenset(payload.model_fields_set))
    if await taken(tenant, Child, "external_id", payload.external_id, None):
        raise ConflictError(TAKEN)
    row = tenant.add(Child(**values, clinic_id=tenant.clinic_id))
    return await VERSIONED.written(tenant, row, client_id)


async def update(tenant: Tenant, *, row: Child, patch: ChildPatch, client_id: uuid.UUID) -> Child:
    """Apply a PATCH (the caller checked If-Match); the merged child must stay consistent."""
    changes: dict[str, Any] = patch.model_dump(exclude_unset=True)
    # Nulling a required field is refused before anything else (this call changes nothing).
    apply_patch(
        row, {k: v for k, v in changes.items() if v is None and k in REQUIRED}, required=REQUIRED
    )
    merged = {**to_public(row).model_dump(), **changes}
    await _check(tenant, merged, row=row, sent=frozenset(changes))
    if await taken(tenant, Child, "external_id", changes.get("external_id"), row.id):
        raise ConflictError(TAKEN)
    before = tuple(getattr(row, name) for name in rules_in_effect.AGE_INPUTS)
    await VERSIONED.patched(tenant, row, changes, client_id)
    await _rescore_if_aged(tenant, row, before, client_id)
    return row


def _replacement(payload: ChildReplace, external_id: str) -> dict[str, Any]:
    if payload.external_id is not None and payload.external_id != external_id:
        detail = "The external_id must equal the one in the path."
        raise ValidationProblemError(
            [FieldProblem("#/external_id", detail, "external_id_mismatch")]
        )
    return {**payload.model_dump(), "external_id": external_id}


async def replace(
    tenant: Tenant, *, row: Child, payload: ChildReplace, external_id: str, client_id: uuid.UUID
) -> Child:
    """Replace every field of a child (PUT); a tombstoned child is revived with the same id."""
    values = _replacement(payload, external_id)
    await _check(tenant, values, row=row, sent=frozenset(values))
    before = tuple(getattr(row, name) for name in rules_in_effect.AGE_INPUTS)
    revived = row.deleted_at is not None
    for name, value in values.items():
        setattr(row, name, value)
    touch(row)
    row.deleted_at = None
    await VERSIONED.written(tenant, row, client_id, action="create" if revived else "update")
    await _rescore_if_aged(tenant, row, before, client_id)
    return row


async def upsert(
    tenant: Tenant,
    *,
    external_id: str,
    payload: ChildReplace,
    precondition: Callable[[int | None], None],
    client_id: uuid.UUID,
) -> tuple[Child, bool]:
    """PUT by external_id: replace the live child, else revive the deleted one, else create.

    `precondition` gets the live child's version (None when there is none) and raises to refuse;
    the result says whether the child was (re)created.
    """
    row = await find_by_external_id(tenant, external_id, for_update=True)
    live = row is not None and row.deleted_at is None
    precondition(row.version if row is not None and live else None)
    if row is None:
        values = _replacement(payload, external_id)
        await _check(tenant, values, row=None, sent=frozenset(values))
        try:  # no row to lock: a concurrent PUT may insert one first
            async with tenant.db.begin_nested():
                row = tenant.add(Child(**values, clinic_id=tenant.clinic_id))
                await tenant.db.flush()
        except sa_exc.IntegrityError:
            # It did, and committed: go on as if it had been found (If-Match against it).
            row = await find_by_external_id(tenant, external_id, for_update=True)
            if row is None:
                raise
            live = row.deleted_at is None
            precondition(row.version if live else None)
        else:
            return await VERSIONED.written(tenant, row, client_id), True
    row = await replace(
        tenant, row=row, payload=payload, external_id=external_id, client_id=client_id
    )
    return row, not live


async def list_rows(
    tenant: Tenant, *, query: ListQuery, codec: CursorCodec, filters: dict[str, Any]
) -> tuple[list[Child], str | None]:
    """A page of children (`filters`: `queries.lists.CHILDREN`'s values)."""
    return await list_page(tenant, Child, CHILDREN, filters, query=query, codec=codec)
