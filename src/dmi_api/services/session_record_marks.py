"""Marking the session records stored before `documents_form` was kept (migration
`2026-12-05_session_documents_form`): each whose exercises and notes have exactly the API's
fields gets the mark every write now gives, so that a bulk export writes its documents as
stored. In batches, each the caller's own transaction (`dmi-api sessions mark-documents`): the
table is never locked for long, as one migration-time `UPDATE` would have locked it."""

from __future__ import annotations

import uuid

from sqlalchemy import tuple_

from dmi_api.models import SessionRecord
from dmi_api.queries.predicates import columns
from dmi_api.services.session_record_views import DOCUMENTS_FORM, documents_form
from dmi_api.tenant_scope import Tenant

BATCH = 1000


async def mark_batch(
    tenant: Tenant, after: uuid.UUID | None, size: int = BATCH
) -> tuple[uuid.UUID | None, int]:
    """Mark the next `size` unmarked records (by id, after `after`) whose documents are in the
    API's form: where the next batch starts (None: none left), and how many were marked. A
    record changed meanwhile (another version) is left to the write that changed it; the mark
    changes nothing else (not the version, not `updated_at`: no change to export or announce)."""
    c = columns(SessionRecord)
    unmarked = (
        tenant.select_rows(SessionRecord)
        .with_only_columns(c.id, c.version, c.exercises, c.notes)
        .where(c.documents_form.is_(None), *([c.id > after] if after is not None else []))
        .order_by(c.id)
        .limit(size)
    )
    rows = (await tenant.db.execute(unmarked)).all()
    marks = [
        (row.id, row.version)
        for row in rows
        if documents_form(row.exercises, row.notes) is not None
    ]
    marked = 0
    if marks:
        mark = (
            tenant.update(SessionRecord)
            .where(tuple_(c.id, c.version).in_(marks), c.documents_form.is_(None))
            .values(documents_form=DOCUMENTS_FORM)
            .returning(c.id)
        )
        marked = len((await tenant.db.execute(mark)).all())
    return (rows[-1].id if len(rows) == size else None), marked
