"""Clinics: created by operators from the command line."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dmi_api.errors import ValidationProblemError
from dmi_api.models import Clinic
from dmi_api.tenant_scope import bind_settings

CLINIC_NAME_MAX: int = Clinic.__table__.c.name.type.length  # type: ignore[attr-defined]


async def create_clinic(db: AsyncSession, *, name: str) -> Clinic:
    """Add a clinic (the session is then bound to it); its name 1 to the column's length
    (200) characters, not blank (the table model does not check: SQLite stored any,
    PostgreSQL failed past it)."""
    name = name.strip()
    if not 1 <= len(name) <= CLINIC_NAME_MAX:
        raise ValidationProblemError(
            [], detail=f"a clinic's name is 1 to {CLINIC_NAME_MAX} characters, not blank"
        )
    clinic = Clinic(id=uuid.uuid4(), name=name)
    await bind_settings(db, clinic_id=clinic.id)
    db.add(clinic)
    await db.flush()
    return clinic


async def count_clinics(db: AsyncSession) -> int:
    """How many clinics exist (operators' view; row-level security does not apply to owners)."""
    return int((await db.execute(select(func.count()).select_from(Clinic))).scalar_one())


async def list_clinics(db: AsyncSession) -> list[Clinic]:
    """Every clinic, oldest first (operators' view: the tables' owner, whom RLS does not bind)."""
    statement = select(Clinic).order_by(col(Clinic.created_at), col(Clinic.id))
    return list((await db.execute(statement)).scalars().all())
