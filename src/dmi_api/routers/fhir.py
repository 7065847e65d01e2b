"""`/fhir/R4`: the clinic's records as FHIR R4 resources, read-only (`application/fhir+json`;
every error an OperationOutcome, `http/fhir_outcomes.py`). docs/fhir.md has the mapping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query, Request
from pydantic import Field

from dmi_api import __version__
from dmi_api.auth.dependencies import Caller, require
from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.fhir.bundles import searchset
from dmi_api.fhir.capability import capability_statement
from dmi_api.fhir.media import FhirResponse
from dmi_api.fhir.patients import mrn_system, patient
from dmi_api.fhir.search import (
    IDS_PATTERN,
    LAST_UPDATED_PATTERN,
    MAX_IDS,
    identifier_value,
    last_updated_bounds,
)
from dmi_api.models import Child
from dmi_api.queries.pages import ListQuery
from dmi_api.routers import make_router
from dmi_api.routers.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from dmi_api.services import children
from dmi_api.services import fhir_patients as service

router = make_router(tag="fhir", prefix="/fhir/R4")
PatientReader = Annotated[Caller, require("children:read")]


def _content(resource_type: str) -> dict[str, Any]:
    """A FHIR body in OpenAPI: its `resourceType` (the structure is FHIR's, docs/fhir.md)."""
    schema = {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "enum": [resource_type]}},
    }
    return {"application/fhir+json": {"schema": schema}}


STARTED = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir/R4"


@router.get(
    "/metadata",
    response_class=FhirResponse,
    response_model=None,
    responses={200: {"content": _content("CapabilityStatement"), "description": "What is served"}},
    summary="FHIR CapabilityStatement",
)
async def metadata(request: Request) -> FhirResponse:
    """What this FHIR server supports, exactly (no token needed)."""
    return FhirResponse(capability_statement(_base(request), __version__, STARTED))


@router.get(
    "/Patient/{patient_id}",
    response_class=FhirResponse,
    response_model=None,
    responses={
        200: {"content": _content("Patient"), "description": "A Patient (a child)"},
        410: {"description": "Gone: the Patient was deleted"},
    },
    summary="Read a Patient (FHIR)",
)
async def read_patient(
    caller: PatientReader, request: Request, patient_id: Annotated[uuid.UUID, Path()]
) -> FhirResponse:
    """A child as a FHIR Patient; a deleted one is 410, another clinic's 404."""
    row = await service.read(caller.tenant, patient_id)
    view = await children.public_view(caller.tenant, row)
    caller.audit("read", service.RESOURCE, resource_id=row.id, child_id=row.id)
    mrn = mrn_system(request.app.state.settings.issuer, caller.tenant.clinic_id)
    headers = {"ETag": f'W/"{row.version}"'}
    return FhirResponse(patient(view, mrn=mrn), headers=headers)


def _ids(value: str | None) -> list[uuid.UUID] | None:
    if value is None:
        return None
    parts = value.split(",")
    try:
        ids = [uuid.UUID(part) for part in parts]
    except ValueError:
        ids = None
    if ids is None or not 1 <= len(ids) <= MAX_IDS:
        raise ValidationProblemError(
            [
                FieldProblem(
                    "#/_id", f"One to {MAX_IDS} ids, comma-separated.", "invalid_search_value"
                )
            ],
            detail="The search parameter _id is not valid.",
        )
    return ids


@router.get(
    "/Patient",
    response_class=FhirResponse,
    response_model=None,
    responses={200: {"content": _content("Bundle"), "description": "A searchset Bundle"}},
    summary="Search Patients (FHIR)",
)
async def search_patients(
    caller: PatientReader,
    request: Request,
    id_: Annotated[str | None, Query(alias="_id", pattern=IDS_PATTERN)] = None,
    identifier: Annotated[str | None, Query(max_length=600)] = None,
    last_updated: Annotated[
        list[Annotated[str, Field(pattern=LAST_UPDATED_PATTERN)]] | None,
        Query(alias="_lastUpdated", max_length=2),
    ] = None,
    count: Annotated[Limit, Query(alias="_count")] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[Cursor, Query(alias="_cursor")] = None,
) -> FhirResponse:
    """The clinic's live children as Patients, paged (`link.next`)."""
    mrn_uri = mrn_system(request.app.state.settings.issuer, caller.tenant.clinic_id)
    mrn = identifier_value(identifier, mrn_uri) if identifier is not None else None
    bounds = last_updated_bounds(last_updated or [])
    rows: list[Child] = []
    next_cursor: str | None = None
    if identifier is None or mrn is not None:  # another system's identifier matches nothing
        rows, next_cursor = await service.search(
            caller.tenant,
            ids=_ids(id_),
            mrn=mrn,
            bounds=bounds,
            query=ListQuery(limit=count, cursor=cursor),
            codec=request.app.state.cursor_codec,
        )
    views = await children.public_views(caller.tenant, rows)
    caller.audit("list", service.RESOURCE)
    bundle = searchset(
        _base(request),
        "Patient",
        [patient(view, mrn=mrn_uri) for view in views],
        self_url=str(request.url),
        params=list(request.query_params.multi_items()),
        next_cursor=next_cursor,
    )
    return FhirResponse(bundle)
