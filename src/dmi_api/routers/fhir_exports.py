"""`/fhir/R4/$export`: FHIR Bulk Data Access (IG v2) on the clinic's records: kick-off, status
(202 while running, 200 with the manifest), cancel, and the NDJSON files; all with `export:read`,
visible only to the clinic that exported them (docs/fhir.md, "Bulk export")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Header, Path, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from dmi_api.auth.dependencies import Exporter
from dmi_api.errors import (
    BadRequestError,
    FieldProblem,
    NotFoundError,
    ValidationProblemError,
)
from dmi_api.fhir.media import FhirResponse
from dmi_api.fhir.outcomes import operation_outcome
from dmi_api.routers import make_router
from dmi_api.routers.fhir import fhir_base
from dmi_api.services import bulk_exports as service
from dmi_api.services.export_files import FILE_NAME, export_dir
from dmi_api.services.fhir_sources import FHIR_SOURCES

router = make_router(tag="fhir", prefix="/fhir/R4")

NDJSON_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
FHIR_NDJSON = "application/fhir+ndjson"
TYPES_PATTERN = r"^[A-Za-z]{1,40}(,[A-Za-z]{1,40}){0,20}$"
FILE_PATTERN = FILE_NAME.pattern


def _bad(name: str, detail: str) -> ValidationProblemError:
    return ValidationProblemError(
        [FieldProblem(f"#/{name}", detail, "invalid_search_value")],
        detail=f"The parameter {name} is not valid.",
    )


def _types(value: str | None, level: str) -> list[str]:
    known = [name for name, source in FHIR_SOURCES.items() if level == "system" or source.patient]
    if value is None:
        return known
    asked = list(dict.fromkeys(value.split(",")))
    if any(name not in known for name in asked):
        raise _bad("_type", f"Resource types this export serves: {', '.join(known)}.")
    return asked


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _bad("_since", "An instant with its time zone, e.g. 2026-01-01T00:00:00Z.")
    return moment.astimezone(UTC)


KICK_OFF_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Accepted: poll `Content-Location` for the status",
        "headers": {"Content-Location": {"schema": {"type": "string"}}},
    },
    429: {"description": "This client already has an export running (`Retry-After`)"},
}


async def _kick_off(
    request: Request,
    caller: Exporter,
    level: str,
    prefer: str | None,
    output_format: str | None,
    since: str | None,
    types: str | None,
) -> Response:
    if prefer is None or "respond-async" not in prefer.lower():
        raise BadRequestError("A bulk export needs the header `Prefer: respond-async`.")
    if output_format is not None and output_format not in NDJSON_FORMATS:
        raise _bad("_outputFormat", "Only application/fhir+ndjson is served.")
    row = await service.kick_off(
        caller.tenant,
        caller.principal,
        request.app.state.settings,
        export_format="fhir",
        level=level,
        types=_types(types, level),
        since=_since(since),
        request=request.url.path.removeprefix("/fhir/R4")
        + (f"?{request.url.query}" if request.url.query else ""),
    )
    caller.audit("create", service.RESOURCE, outcome=202, resource_id=row.id)
    location = f"{fhir_base(request)}/bulk-status/{row.id}"
    return Response(status_code=202, headers={"Content-Location": location})


OutputFormat = Annotated[str | None, Query(alias="_outputFormat", max_length=100)]
Since = Annotated[str | None, Query(alias="_since", max_length=40)]
Types = Annotated[str | None, Query(alias="_type", pattern=TYPES_PATTERN)]
Prefer = Annotated[str | None, Header(max_length=200)]


@router.get(
    "/$export",
    status_code=202,
    response_class=Response,
    responses=KICK_OFF_RESPONSES,
    summary="Export every resource of the clinic (FHIR Bulk Data kick-off)",
)
async def export_system(
    request: Request,
    caller: Exporter,
    prefer: Prefer = None,
    output_format: OutputFormat = None,
    since: Since = None,
    types: Types = None,
) -> Response:
    """Start an export of the clinic's resources (`_type`: some of them; `_since`: only what
    changed after, and what was deleted). Needs `Prefer: respond-async`."""
    return await _kick_off(request, caller, "system", prefer, output_format, since, types)


@router.get(
    "/Patient/$export",
    status_code=202,
    response_class=Response,
    responses=KICK_OFF_RESPONSES,
    summary="Export every patient's compartment (FHIR Bulk Data kick-off)",
)
async def export_patients(
    request: Request,
    caller: Exporter,
    prefer: Prefer = None,
    output_format: OutputFormat = None,
    since: Since = None,
    types: Types = None,
) -> Response:
    """Start an export of the resources about the clinic's patients (not its practitioners)."""
    return await _kick_off(request, caller, "patient", prefer, output_format, since, types)


ExportId = Annotated[uuid.UUID, Path(alias="id")]


@router.get(
    "/bulk-status/{id}",
    response_model=None,
    responses={
        200: {"content": {"application/json": {}}, "description": "Done: the manifest"},
        202: {"description": "Running (`X-Progress`, `Retry-After`)"},
        500: {"description": "The export failed (an OperationOutcome)"},
    },
    summary="Status of a bulk export (FHIR Bulk Data)",
)
async def export_status(request: Request, export_id: ExportId, caller: Exporter) -> Response:
    """202 while the export runs, 200 with its manifest when done (until it expires)."""
    row = await service.get(caller.tenant, export_id, "fhir")
    caller.audit("read", service.RESOURCE, resource_id=row.id)
    if row.status in ("queued", "running"):
        headers = {
            "Retry-After": str(service.RETRY_AFTER_SECONDS),
            "X-Progress": row.progress or row.status,
        }
        return Response(status_code=202, headers=headers)
    if row.status == "failed":
        problem = {"detail": "The export failed; start it again.", "code": "export_failed"}
        return FhirResponse(operation_outcome(500, problem), status_code=500)
    base = fhir_base(request)
    body = service.manifest(row, request_url=base, files_url=f"{base}/bulk-files/{row.id}")
    expires = row.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return JSONResponse(body, headers={"Expires": expires})


@router.delete(
    "/bulk-status/{id}",
    status_code=202,
    response_class=Response,
    responses={202: {"description": "Cancelled: its files are deleted"}},
    summary="Cancel a bulk export (FHIR Bulk Data)",
)
async def cancel_export(request: Request, export_id: ExportId, caller: Exporter) -> Response:
    """Cancel the export (or delete a finished one's files); its status is then 404."""
    row = await service.get(caller.tenant, export_id, "fhir")
    await service.cancel(caller.tenant, request.app.state.settings, row)
    caller.audit("delete", service.RESOURCE, outcome=202, resource_id=row.id)
    return Response(status_code=202)


@router.get(
    "/bulk-files/{id}/{name}",
    response_class=FileResponse,
    responses={200: {"content": {FHIR_NDJSON: {}}, "description": "One NDJSON file"}},
    summary="Download a file of a bulk export (FHIR Bulk Data)",
)
async def export_file(
    request: Request,
    export_id: ExportId,
    name: Annotated[str, Path(pattern=FILE_PATTERN)],
    caller: Exporter,
) -> FileResponse:
    """One file of a completed export, streamed, with the same token and scope."""
    row = await service.get(caller.tenant, export_id, "fhir")
    if not service.has_file(row, name):
        raise NotFoundError("No file of this name in the export.")
    caller.audit("read", service.RESOURCE, resource_id=row.id)
    directory = export_dir(request.app.state.settings.export_dir, row.clinic_id, row.id)
    return FileResponse(FilePath(directory) / name, media_type=FHIR_NDJSON)
