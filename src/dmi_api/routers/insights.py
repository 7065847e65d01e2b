"""Computed views of a child's records: WHO milestone windows, adherence, progress report."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from dmi_api.auth.dependencies import Caller, require, require_token
from dmi_api.auth.principal import Principal
from dmi_api.errors import ValidationProblemError
from dmi_api.http.problems import problem_responses
from dmi_api.models import Child
from dmi_api.routers import make_router
from dmi_api.rule_values import AgeInputs
from dmi_api.schemas.ages import AgePublic
from dmi_api.schemas.base import IsoDate
from dmi_api.schemas.clinical_dates import ReportEnd
from dmi_api.schemas.insights import (
    AdherenceReport,
    BlockSummary,
    MilestoneWindow,
    ProgressReport,
    SupportProgression,
)
from dmi_api.services import (
    adherence,
    intensive_blocks,
    prescriptions,
    progress,
    progress_charts,
    rules_in_effect,
)
from dmi_api.services.milestone_windows import first_achievements, windows_of
from dmi_api.services.resources import get_live
from dmi_api.stores import stores
from dmi_api.tenant_scope import Tenant

router = make_router(tag="insights")
TO_DOC = "the day after the last day (exclusive): `2026-03-08` ends on 7 March"
From = Annotated[IsoDate | None, Query(alias="from", description="first day (inclusive)")]
To = Annotated[ReportEnd | None, Query(alias="to", description=TO_DOC)]
PROGRESS_SCOPES = (
    "children:read",
    "assessments:read",
    "milestones:read",
    "sessions:read",
    "prescriptions:read",
)
# The token here; the report from the store (`dmi_api.stores`): two statements, or a session.
ProgressReader = Annotated[Principal, require_token(*PROGRESS_SCOPES)]
SVG_MEDIA_TYPE = "image/svg+xml"


def _query_error(name: str, detail: str, code: str) -> ValidationProblemError:
    return ValidationProblemError(
        [{"location": "query", "pointer": name, "detail": detail, "code": code}]
    )


async def _child(tenant: Tenant, child_id: uuid.UUID) -> Child:
    return await get_live(tenant, Child, child_id)


class AskedPeriod(BaseModel):
    """A child's report period as asked: `from` (inclusive) and `to` (exclusive)."""

    first: IsoDate | None = Field(default=None, alias="from", description="first day (inclusive)")
    end: ReportEnd | None = Field(default=None, alias="to", description=TO_DOC)

    def of(self, child: AgeInputs, today: date) -> progress.Period:
        """The period for this child: from birth by default, to `today` (the clinic's date)
        included (422 if empty)."""
        return _period(child, self.first, self.end or today + timedelta(days=1))


Asked = Annotated[AskedPeriod, Query()]


def _period(child: AgeInputs, first: date | None, end: date) -> progress.Period:
    # `from` before birth starts at birth.
    first_day = max(first or child.birth_date, child.birth_date)
    last_day = end - timedelta(days=1)
    if last_day < first_day:
        detail = "`to` must be after `from` and after the birth date."
        raise _query_error("to", detail, "bad_period")
    return progress.Period(first=first_day, last=last_day)


@router.get(
    "/v1/children/{child_id}/milestone-windows",
    response_model=list[MilestoneWindow],
    summary="WHO milestone windows of a child",
)
async def child_milestone_windows(
    caller: Annotated[Caller, require("children:read", "milestones:read")],
    child_id: uuid.UUID,
    as_of: Annotated[IsoDate | None, Query(description="the day to judge on (today)")] = None,
) -> list[MilestoneWindow]:
    """Each WHO milestone's window and the child's status in it, on corrected age."""
    child = await _child(caller.tenant, child_id)
    rules = await rules_in_effect.load(caller.tenant)
    day = as_of or rules.today()
    if day < child.birth_date:
        raise _query_error("as_of", "The date is before the child's birth.", "before_birth")
    achieved = await first_achievements(caller.tenant, child.id)
    caller.audit("read", "milestone_windows", resource_id=child.id, child_id=child.id)
    return windows_of(child, rules, achieved, day)


SupportReader = Annotated[Caller, require("children:read", "sessions:read")]


async def _support(
    caller: Caller, child_id: uuid.UUID, asked: AskedPeriod
) -> tuple[SupportProgression, AgePublic | None]:
    """The progression over the asked period and the child's ages on its last day, audited."""
    child = await _child(caller.tenant, child_id)
    rules = await rules_in_effect.load(caller.tenant)
    period = asked.of(child, rules.today())
    result = await progress.support_progression(caller.tenant, child, rules, period)
    caller.audit("read", "support_progression", resource_id=child.id, child_id=child.id)
    return result, rules_in_effect.age_public(rules, child, period.last)


@router.get(
    "/v1/children/{child_id}/support-progression",
    response_model=SupportProgression,
    summary="DMI support-point progression of a child",
)
async def child_support_progression(
    caller: SupportReader, child_id: uuid.UUID, asked: Asked
) -> SupportProgression:
    """Per exercise: the holds used in the period's attended sessions, the current support
    point on the trunk-to-ankles scale, the sessions and full responses at it, the moves down
    and back up, and `ready_to_progress` (clinic settings `progress_after_sessions`,
    `progress_full_percent`); per category, its range of holds. By default from birth to
    today."""
    return (await _support(caller, child_id, asked))[0]


@router.get(
    "/v1/children/{child_id}/support-progression.svg",
    response_class=Response,
    responses={200: {"content": {SVG_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
    summary="Support-point chart of a child (SVG)",
)
async def child_support_chart(caller: SupportReader, child_id: uuid.UUID, asked: Asked) -> Response:
    """Each exercise's holds over the period on the trunk-to-ankles scale, against the child's
    age: an SVG to embed, with a legend, a `<title>` and a `<desc>`."""
    result, age = await _support(caller, child_id, asked)
    return _svg(progress_charts.support_chart(result, age))


def _svg(document: str) -> Response:
    return Response(
        document,
        media_type=SVG_MEDIA_TYPE,
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


@router.get(
    "/v1/prescriptions/{prescription_id}/block-summary",
    response_model=BlockSummary,
    responses=problem_responses(409),  # not an intensive prescription
    summary="Summary of an intensive block",
)
async def prescription_block_summary(
    caller: Annotated[Caller, require("prescriptions:read", "sessions:read", "assessments:read")],
    prescription_id: uuid.UUID,
) -> BlockSummary:
    """An intensive prescription as a block: planned days, sessions and minutes (its `block`),
    the attended sessions delivered on its days with their minutes and repetitions, adherence,
    and the GMFM-88 change across it (the last final one on or before its first day, the first
    from its last day to `block_followup_weeks` weeks after). Another setting is 409
    `not_an_intensive_block`."""
    row = await prescriptions.get(caller.tenant, prescription_id)
    rules = await rules_in_effect.load(caller.tenant)
    result = await intensive_blocks.block_of(caller.tenant, row, rules)
    caller.audit("read", "block_summary", resource_id=row.id, child_id=row.child_id)
    return result


@router.get(
    "/v1/prescriptions/{prescription_id}/adherence",
    response_model=AdherenceReport,
    summary="Adherence to a prescription",
)
async def prescription_adherence(
    caller: Annotated[Caller, require("prescriptions:read", "sessions:read")],
    prescription_id: uuid.UUID,
    first: From = None,
    end: To = None,
) -> AdherenceReport:
    """Prescribed dose against the dose recorded in sessions and home practice, pauses left
    out; by default over the prescription's period up to today, and never past today (no dose
    was due yet): `window` says which days were counted."""
    row = await prescriptions.get(caller.tenant, prescription_id)
    today = (await rules_in_effect.load(caller.tenant)).today()  # the clinic's date
    first_day, last_day = adherence.window_or_422(row, today, first, end)
    items = await prescriptions.items_of(caller.tenant, row)
    result = await adherence.adherence_of(caller.tenant, row, items, first_day, last_day)
    caller.audit("read", "adherence", resource_id=row.id, child_id=row.child_id)
    return AdherenceReport.model_validate(result)


async def _report(
    principal: Principal, request: Request, child_id: uuid.UUID, asked: AskedPeriod
) -> ProgressReport:
    """The report over the asked period, from the store (two statements, or a session);
    audited as a read of the child's progress."""
    return await stores(request).progress.report(request, principal, child_id, asked.of)


@router.get(
    "/v1/children/{child_id}/progress",
    response_model=ProgressReport,
    summary="Progress report of a child",
)
async def child_progress(
    principal: ProgressReader, request: Request, child_id: uuid.UUID, asked: Asked
) -> Response:
    """Ages, scores with their change, the GMFM-88 series, WHO milestones, adherence of the
    active prescriptions, sessions by type and the support points used, over the period."""
    # Rendered here, as FastAPI would render the model (by alias), in one pass.
    report = await _report(principal, request, child_id, asked)
    return Response(report.model_dump_json(by_alias=True), media_type="application/json")


@router.get(
    "/v1/children/{child_id}/progress.svg",
    response_class=Response,
    responses={200: {"content": {SVG_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
    summary="Progress chart of a child (SVG)",
)
async def child_progress_chart(
    principal: ProgressReader, request: Request, child_id: uuid.UUID, asked: Asked
) -> Response:
    """The GMFM-88 total and goal total over the period against the child's age (corrected
    while correction applies), WHO milestones named at their lines, intensive blocks shaded,
    each point's value shown, a legend, a `<title>` and a `<desc>`: an SVG to embed."""
    return _svg(progress_charts.progress_chart(await _report(principal, request, child_id, asked)))
