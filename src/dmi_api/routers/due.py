"""What falls due: a child's next assessments and the clinic's worklist (rule `due-dates@2`)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request, Response

from dmi_api.auth.dependencies import Caller, require
from dmi_api.pagination import invalid_cursor, next_link
from dmi_api.routers import make_router
from dmi_api.routers.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from dmi_api.schemas.base import IsoDate
from dmi_api.schemas.due import ChildDue, DuePage
from dmi_api.services import children, due_dates
from dmi_api.stores.results import cursor_codec

router = make_router(tag="due")
RESOURCE = "assessment_due"
DueReader = Annotated[Caller, require("children:read", "assessments:read")]


@router.get("/v1/children/{child_id}/due", response_model=ChildDue, summary="What falls due")
async def child_due(caller: DueReader, child_id: uuid.UUID) -> ChildDue:
    """The next assessment of each instrument (GMFM-88, AIMS, HINE, GMFCS, DMI evaluation) from
    the clinic's schedule (`due_schedule` of the clinic settings) and the child's record."""
    child = await children.get(caller.tenant, child_id)
    as_of, items = await due_dates.child_due(caller.tenant, child)
    caller.audit("read", RESOURCE, resource_id=child.id, child_id=child.id)
    return ChildDue.model_validate({"child_id": child.id, "as_of": as_of, "items": items})


def _position(cursor: str, codec: Any, context: str) -> tuple[date, str, str]:
    found = codec.decode(cursor, context=context)
    try:
        due_on, child_id, instrument = found
        return date.fromisoformat(due_on), str(uuid.UUID(child_id)), str(instrument)
    except (TypeError, ValueError):
        raise invalid_cursor() from None


@router.get("/v1/due", response_model=DuePage, summary="What falls due in the clinic")
async def clinic_due(
    caller: DueReader,
    request: Request,
    response: Response,
    before: Annotated[
        IsoDate, Query(description="instruments due before this day (exclusive), overdue included")
    ],
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> DuePage:
    """The clinic's worklist: every instrument of its active children due before `before`, by
    due date (then child and instrument), overdue ones first."""
    as_of, items = await due_dates.clinic_due(caller.tenant, before)
    codec = cursor_codec(request, caller.tenant.clinic_id)
    context = f"{RESOURCE}:{before.isoformat()}"
    if cursor:
        after = _position(cursor, codec, context)
        items = [i for i in items if (i["due_on"], str(i["child_id"]), i["instrument"]) > after]
    page, more = items[:limit], len(items) > limit
    next_cursor = None
    if more:
        last = page[-1]
        position = [last["due_on"].isoformat(), str(last["child_id"]), last["instrument"]]
        next_cursor = codec.encode(position, context=context)
    response.headers.update(next_link(request.url, next_cursor))
    caller.audit("list", RESOURCE)
    return DuePage.model_validate({"as_of": as_of, "data": page, "next_cursor": next_cursor})
