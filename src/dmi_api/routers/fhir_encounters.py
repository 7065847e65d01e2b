"""`/fhir/R4/Encounter`: session records as FHIR Encounters (read and search by patient and
date); the shared machinery is `routers/fhir.py`'s."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import Field

from dmi_api.auth.dependencies import Caller, require
from dmi_api.fhir import encounters
from dmi_api.fhir.media import FhirResponse
from dmi_api.fhir.search import (
    LAST_UPDATED_PATTERN,
    PATIENT_PATTERN,
    last_updated_bounds,
)
from dmi_api.models import SessionRecord
from dmi_api.queries.pages import ListQuery
from dmi_api.routers import make_router
from dmi_api.routers.fhir import (
    CountParam,
    CursorParam,
    FormatParam,
    IdsParam,
    Kind,
    LastUpdatedParam,
    PrettyParam,
    add_routes,
    bundle_response,
    ids_of,
    read_handler,
)
from dmi_api.routers.params import DEFAULT_PAGE_SIZE
from dmi_api.services import fhir_reads as service
from dmi_api.services.session_record_rules import RESOURCE

router = make_router(tag="fhir", prefix="/fhir/R4")
PatientParam = Annotated[str | None, Query(pattern=PATIENT_PATTERN)]


ENCOUNTER = Kind(
    "Encounter",
    SessionRecord,
    "sessions:read",
    RESOURCE,
    encounters.encounter,
    "session",
    lambda row: row.child_id,
)
_authorized = require(ENCOUNTER.scope)


def _child(patient: str | None, subject: str | None) -> tuple[bool, uuid.UUID | None]:
    """The child both parameters name (False: they name two children, nothing matches)."""
    named = {uuid.UUID(value.removeprefix("Patient/")) for value in (patient, subject) if value}
    if len(named) > 1:
        return False, None
    return True, next(iter(named), None)


async def search_encounters(
    request: Request,
    id_: IdsParam = None,
    patient: PatientParam = None,
    subject: PatientParam = None,
    date: Annotated[
        list[Annotated[str, Field(pattern=LAST_UPDATED_PATTERN)]] | None,
        Query(max_length=2),
    ] = None,
    last_updated: LastUpdatedParam = None,
    count: CountParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
    _format: FormatParam = None,
    pretty: PrettyParam = None,
    caller: Caller = _authorized,
) -> FhirResponse:
    """The clinic's live session records as Encounters, paged (`link.next`)."""
    matches, child_id = _child(patient, subject)
    ranges = {
        "updated_at": last_updated_bounds(last_updated or []),
        "started_at": last_updated_bounds(date or [], "date"),
    }
    page: tuple[list[Any], str | None] = ([], None)
    if matches:
        page = await service.search(
            caller.tenant,
            SessionRecord,
            ids=ids_of(id_),
            equal={} if child_id is None else {"child_id": child_id},
            ranges=ranges,
            query=ListQuery(limit=count, cursor=cursor),
            codec=request.app.state.cursor_codec,
        )
    return await bundle_response(request, caller, ENCOUNTER, page, pretty)


add_routes(router, ENCOUNTER, read_handler(ENCOUNTER), search_encounters)
