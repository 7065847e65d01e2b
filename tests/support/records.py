"""Seed rows written straight through the Tenant (for tests of resources that reference them)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextvars import ContextVar
from datetime import date
from typing import Any

from fastapi import FastAPI

from dmi_api.models import Child, Exercise, Practitioner, Prescription, PrescriptionItem
from dmi_api.tenant_scope import Tenant, bind_settings
from tests.support.tenants import TenantClient

_OPEN: ContextVar[Tenant | None] = ContextVar("seeding", default=None)


@contextlib.asynccontextmanager
async def one_commit(app: FastAPI, tenant: TenantClient) -> AsyncIterator[None]:
    """The seeds made inside this block are written in one session, committed once at its end
    (a session, its clinic binding and a commit for each row cost several milliseconds)."""
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=tenant.clinic_id)
        reset = _OPEN.set(Tenant(db, tenant.clinic_id))
        try:
            yield
            await db.commit()
        finally:
            _OPEN.reset(reset)


async def _add(app: FastAPI, tenant: TenantClient, row: Any) -> Any:
    shared = _OPEN.get()
    if shared is not None and shared.clinic_id == tenant.clinic_id:
        shared.add(row)
        return row
    async with one_commit(app, tenant):
        return await _add(app, tenant, row)


async def seed_child(
    app: FastAPI, tenant: TenantClient, *, birth_date: date = date(2024, 3, 1), **fields: Any
) -> Child:
    """A child of the tenant's clinic."""
    values: dict[str, Any] = {
        "given_name": "Mia",
        "family_name": "Test",
        "birth_date": birth_date,
        "sex": "female",
        "clinic_id": tenant.clinic_id,
    }
    values.update(fields)
    row: Child = await _add(app, tenant, Child(**values))
    return row


async def seed_practitioner(app: FastAPI, tenant: TenantClient, **fields: Any) -> Practitioner:
    """A practitioner of the tenant's clinic."""
    values: dict[str, Any] = {"name": "Ana Ruiz", "discipline": "PT", "clinic_id": tenant.clinic_id}
    values.update(fields)
    row: Practitioner = await _add(app, tenant, Practitioner(**values))
    return row


async def seed_exercise(app: FastAPI, tenant: TenantClient, **fields: Any) -> Exercise:
    """An exercise of the tenant's library."""
    values: dict[str, Any] = {
        "code": f"EX-{uuid.uuid4().hex[:6]}",
        "name": "Supported sitting, hold at pelvis",
        "category": "sitting",
        "surface": "table",
        "default_support_point": "pelvis",
        "clinic_id": tenant.clinic_id,
    }
    values.update(fields)
    row: Exercise = await _add(app, tenant, Exercise(**values))
    return row


async def seed_prescription_item(
    app: FastAPI,
    tenant: TenantClient,
    *,
    child: Child,
    prescriber: Practitioner,
    exercise: Exercise,
) -> PrescriptionItem:
    """An active prescription of one item for a child; returns the item."""
    prescription: Prescription = await _add(
        app,
        tenant,
        Prescription(
            clinic_id=tenant.clinic_id,
            child_id=child.id,
            prescriber_id=prescriber.id,
            setting="home",
            status="active",
            period_start=date(2025, 1, 1),
        ),
    )
    item: PrescriptionItem = await _add(
        app,
        tenant,
        PrescriptionItem(
            clinic_id=tenant.clinic_id,
            prescription_id=prescription.id,
            exercise_id=exercise.id,
            position=0,
            repetitions=5,
            sets=1,
        ),
    )
    return item
