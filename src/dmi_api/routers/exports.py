"""`/v1/exports`: the clinic's records in bulk as NDJSON of their `/v1` representations (scope
`export:read`): the same job, status and files as FHIR's `$export`, for scripts that do not
speak FHIR (README: "Bulk export")."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Path, Request, Response
from fastapi.responses import FileResponse

from dmi_api.auth.dependencies import Exporter
from dmi_api.http.responses import FastJSONResponse as JSONResponse
from dmi_api.models import BulkExport
from dmi_api.routers import make_router
from dmi_api.routers.resource_support import IdempotencyKeyHeader, json_body
from dmi_api.schemas.exports import ExportCreate, ExportFile, ExportPublic
from dmi_api.services import bulk_exports as service
from dmi_api.services.export_files import FILE_NAME
from dmi_api.services.v1_sources import V1_SOURCES
from dmi_api.stores.idempotent import Created, idempotent_create

PREFIX = "/v1/exports"
router = make_router(tag="exports", prefix=PREFIX)
NDJSON = "application/x-ndjson"
ExportId = Annotated[uuid.UUID, Path(alias="id")]


# What the public view shows of an export's columns as they are.
_STORED_FIELDS = (
    "id",
    "status",
    "progress",
    "since",
    "created_at",
    "expires_at",
    "transaction_time",
)


def _public(request: Request, row: BulkExport) -> ExportPublic:
    files: dict[str, Any] = {"output": [], "deleted": []}
    if row.status == "completed":
        base = str(request.base_url).rstrip("/")
        manifest = service.manifest(
            row, request_url=base, files_url=f"{base}{PREFIX}/{row.id}/files"
        )
        files = {key: [ExportFile(**f) for f in manifest.get(key, [])] for key in files}
    stored = {name: getattr(row, name) for name in _STORED_FIELDS}
    return ExportPublic(**stored, resources=row.types, **files)


def _status_headers(request: Request, row: BulkExport) -> dict[str, str]:
    headers = {"Content-Location": str(request.base_url).rstrip("/") + f"{PREFIX}/{row.id}"}
    if row.status in ("queued", "running"):
        headers["Retry-After"] = str(service.RETRY_AFTER_SECONDS)
    return headers


@router.post(
    "",
    status_code=202,
    response_model=ExportPublic,
    responses={429: {"description": "This client already has an export running"}},
    summary="Start an export",
)
async def create_export(
    request: Request,
    payload: ExportCreate,
    caller: Exporter,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Start exporting the clinic's records (one export per client at a time); poll its
    `Location` until it is `completed`, then download its files with the same token. Resend it
    with the same `Idempotency-Key` (its answer lost) to be told of the export it started."""

    async def attempt() -> Created:
        row = await service.kick_off(
            caller.tenant,
            caller.principal,
            request.app.state.settings,
            export_format="v1",
            level="system",
            types=list(payload.resources or V1_SOURCES),
            since=payload.since,
            request=PREFIX,
        )
        caller.audit("create", service.RESOURCE, outcome=202, resource_id=row.id)
        headers = _status_headers(request, row)
        headers["Location"] = headers["Content-Location"]
        return 202, json_body(_public(request, row)), headers

    return await idempotent_create(caller, request, idempotency_key, payload, attempt)


@router.get(
    "/{id}",
    response_model=ExportPublic,
    responses={202: {"model": ExportPublic, "description": "Still running (`Retry-After`)"}},
    summary="Get an export's status and manifest",
)
async def get_export(
    request: Request, export_id: ExportId, response: Response, caller: Exporter
) -> ExportPublic:
    """202 while the export runs (`Retry-After`), 200 when it is done (its files listed) or
    failed; 404 once cancelled or expired."""
    row = await service.get(caller.tenant, export_id, "v1")
    caller.audit("read", service.RESOURCE, resource_id=row.id)
    response.headers.update(_status_headers(request, row))
    if row.status in ("queued", "running"):
        response.status_code = 202
    return _public(request, row)


@router.delete("/{id}", status_code=204, summary="Cancel an export, or delete its files")
async def delete_export(request: Request, export_id: ExportId, caller: Exporter) -> Response:
    """Cancel a running export, or delete a finished one's files now."""
    row = await service.get(caller.tenant, export_id, "v1")
    await service.cancel(caller.tenant, request.app.state.settings, row)
    caller.audit("delete", service.RESOURCE, resource_id=row.id)
    return Response(status_code=204)


@router.get(
    "/{id}/files/{name}",
    response_class=FileResponse,
    responses={200: {"content": {NDJSON: {}}, "description": "One NDJSON file"}},
    summary="Download a file of an export",
)
async def export_file(
    request: Request,
    export_id: ExportId,
    name: Annotated[str, Path(pattern=FILE_NAME.pattern)],
    caller: Exporter,
) -> FileResponse:
    """One file of a completed export, streamed: one `/v1` representation per line."""
    row = await service.get(caller.tenant, export_id, "v1")
    path = service.file_path(request.app.state.settings, row, name)
    caller.audit("read", service.RESOURCE, resource_id=row.id)
    return FileResponse(path, media_type=NDJSON)
