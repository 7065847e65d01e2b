"""Intensive blocks (`clinical/intensive_blocks.py`): a block's summary from its rows, and the
rows it needs through the session (the one-statement progress report reads the same rows)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import col

from dmi_api.clinical.adherence import entry_repetitions
from dmi_api.clinical.intensive_blocks import BlockSession, Gmfm, block_summary
from dmi_api.errors import ConflictError
from dmi_api.models import Assessment, Prescription, SessionRecord
from dmi_api.queries.predicates import child_of
from dmi_api.rule_values import RuleSettings
from dmi_api.schemas.insights import BlockSummary
from dmi_api.services.adherence import earliest_start, local_day, runs_until
from dmi_api.services.report_rows import PrescriptionRow, SessionRow
from dmi_api.tenant_scope import Tenant

INTENSIVE = "intensive"


class NotABlockError(ConflictError, code="not_an_intensive_block"):
    """A block summary asked of a prescription whose setting is not `intensive`."""


def _repetitions(record: SessionRow) -> int:
    """The repetitions of a session's exercises, each entry counted as adherence counts it."""
    return sum(
        entry_repetitions(done.get("sets"), done.get("repetitions")) for done in record.exercises
    )


def summary(
    row: PrescriptionRow,
    records: Sequence[SessionRow],
    gmfm88: Sequence[tuple[uuid.UUID, date, float]],
    rules: RuleSettings,
    today: date,
) -> BlockSummary:
    """The summary of one intensive prescription from the child's rows."""
    zone = rules.zone
    sessions = [
        BlockSession(
            local_day(record, zone),
            record.attendance,
            record.type,
            record.duration_minutes,
            _repetitions(record),
        )
        for record in records
    ]
    found = block_summary(
        first=row.period_start,
        last=runs_until(row),
        pauses=row.pauses,
        plan=row.block,
        sessions=sessions,
        gmfm88=[Gmfm(*measure) for measure in gmfm88],
        followup_weeks=rules.block_followup_weeks,
        today=today,
    )
    return BlockSummary.model_validate(
        {"prescription_id": row.id, "child_id": row.child_id, "status": row.status, **found}
    )


def is_block_in(row: PrescriptionRow, first: date, last: date) -> bool:
    """Whether the prescription is an intensive block that ran between `first` and `last`
    (`direct.progress` states the same in SQL)."""
    ends = runs_until(row)
    ran = row.period_start <= last and (ends is None or ends >= first)
    return row.setting == INTENSIVE and ran


def blocks_in(
    prescriptions: Sequence[PrescriptionRow],
    records: Sequence[SessionRow],
    gmfm88: Sequence[tuple[uuid.UUID, date, float]],
    rules: RuleSettings,
    first: date,
    last: date,
) -> list[BlockSummary]:
    """The summaries of the intensive prescriptions that ran between `first` and `last`."""
    today = datetime.now(rules.zone).date()
    found = []
    for row in prescriptions:
        if is_block_in(row, first, last):
            found.append(summary(row, records, gmfm88, rules, today))
    return found


async def block_records(tenant: Tenant, child_id: uuid.UUID, first_day: date) -> list[Any]:
    """The child's live sessions that can fall on `first_day` or later, in order of start."""
    statement = (
        tenant.select(SessionRecord)
        .where(
            child_of(SessionRecord, child_id),
            col(SessionRecord.started_at) >= earliest_start(first_day),
        )
        .order_by(col(SessionRecord.started_at), col(SessionRecord.id))
    )
    return list((await tenant.db.execute(statement)).scalars().all())


async def gmfm88_totals(tenant: Tenant, child_id: uuid.UUID) -> list[tuple[uuid.UUID, date, float]]:
    """Every final GMFM-88 of the child with its total (id, date, total %)."""
    statement = tenant.select(Assessment).where(
        child_of(Assessment, child_id),
        col(Assessment.status) == "final",
        col(Assessment.instrument) == "gmfm88",
    )
    rows = (await tenant.db.execute(statement)).scalars().all()
    return totals((row.id, row.performed_on, row.scores) for row in rows)


def totals(rows: Any) -> list[tuple[uuid.UUID, date, float]]:
    """(id, date, total %) of final GMFM-88 rows (id, date, scores) that have a total."""
    return [
        (row_id, performed_on, float(scores["total_percent"]))
        for row_id, performed_on, scores in rows
        if scores and scores.get("total_percent") is not None
    ]


async def block_of(tenant: Tenant, row: Prescription, rules: RuleSettings) -> BlockSummary:
    """The summary of one prescription, which must be intensive (409 otherwise)."""
    if row.setting != INTENSIVE:
        raise NotABlockError("Only a prescription with setting `intensive` is a block.")
    records = await block_records(tenant, row.child_id, row.period_start)
    gmfm88 = await gmfm88_totals(tenant, row.child_id)
    return summary(row, records, gmfm88, rules, datetime.now(rules.zone).date())
