"""The `assessment.due` events: once a day is reached, each instrument of an active child that
falls due (`due_dates`) is announced once. A notice row keyed by (clinic, child, instrument,
date) is written with its event; a second worker's insert of the same key does nothing, and so
writes no event."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from dmi_api.db import DbSessionMaker
from dmi_api.models import DueNotice
from dmi_api.models.columns import utcnow
from dmi_api.queries.predicates import table_of
from dmi_api.services.due_dates import clinic_due
from dmi_api.services.history import record_due_event
from dmi_api.tenant_scope import Tenant, bind_settings

logger = logging.getLogger("dmi_api.due")


def _insert(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table_of(DueNotice))


async def announce(tenant: Tenant) -> int:
    """Write the notices and events of the clinic's instruments due today or before that were
    not announced yet; how many."""
    today, items = await clinic_due(tenant, date.max)
    reached = [item for item in items if item["due_on"] <= today]
    if not reached:
        return 0
    now = utcnow()
    rows = [
        {
            "clinic_id": tenant.clinic_id,
            "child_id": item["child_id"],
            "instrument": item["instrument"],
            "due_on": item["due_on"],
            "noticed_at": now,
        }
        for item in reached
    ]
    notice = table_of(DueNotice)
    statement = (
        _insert(tenant.db.get_bind().dialect.name)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(notice.c.child_id, notice.c.instrument)
    )
    new = (await tenant.db.execute(statement)).all()
    for child_id, instrument in new:
        record_due_event(tenant, child_id, instrument)
    return len(new)


async def _clinic_ids(sessionmaker: DbSessionMaker) -> list[uuid.UUID]:
    async with sessionmaker() as db:
        if db.get_bind().dialect.name == "postgresql":
            # The app role sees one clinic at a time: a function of the migrations lists them.
            rows = (await db.execute(text("SELECT dmi_clinic_ids()"))).all()
        else:
            rows = (await db.execute(text("SELECT id FROM clinic ORDER BY id"))).all()
    return [value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for (value,) in rows]


async def announce_all(sessionmaker: DbSessionMaker) -> int:
    """Announce what fell due in every clinic, each in its own transaction; a clinic that fails
    is logged (by the exception's type only) and the others go on."""
    total = 0
    for clinic_id in await _clinic_ids(sessionmaker):
        try:
            async with sessionmaker() as db, db.begin():
                await bind_settings(db, clinic_id=clinic_id)
                total += await announce(Tenant(db, clinic_id))
        except Exception as error:
            logger.warning("due notices failed", extra={"exc_type": type(error).__name__})
    return total
