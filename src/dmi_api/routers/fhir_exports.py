"""`/fhir/R4/$export`: FHIR Bulk Data Access (IG v2) on the clinic's records: kick-off, status
(202 while running, 200 with the manifest), cancel, and the NDJSON files; all with `export:read`,
visible only to the clinic that exported them (docs/fhir.md, "Bulk export")."""

# No `from __future__ import annotations`: each kick-off's `_type` pattern is built for its
# level and must be evaluated where the route is defined.
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Header, Path, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from dmi_api.auth.dependencies import Exporter
from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.fhir.media import FhirResponse
from dmi_api.fhir.outcomes import operation_outcome
from dmi_api.routers import make_router
from dmi_api.routers.fhir import fhir_base
from dmi_api.schemas.base import OUT_OF_UTC_RANGE
from dmi_api.services import bulk_exports as service
from dmi_api.services.export_files import FILE_NAME
from dmi_api.services.fhir_sources import FHIR_SOURCES

router = make_router(tag="fhir", prefix="/fhir/R4", fhir=True)

FHIR_NDJSON = "application/fhir+ndjson"
# `_outputFormat`: FHIR's NDJSON under the names Bulk Data allows for it.
OutputFormat = Literal["application/fhir+ndjson", "application/ndjson", "ndjson"]
# `_since`: an instant with its zone (a day may still not exist: `invalid_search_value`), its
# fraction any number of digits, as FHIR's instant (taken to the microsecond, rounded down:
# `updated_at >` it then means exactly "after the instant").
SINCE_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$"
FILE_PATTERN = FILE_NAME.pattern
LEVELS = {"system": "/$export", "patient": "/Patient/$export"}


def _bad(name: str, detail: str) -> ValidationProblemError:
    return ValidationProblemError(
        [FieldProblem(f"#/{name}", detail, "invalid_search_value")],
        detail=f"The parameter {name} is not valid.",
    )


def _served(level: str) -> list[str]:
    return [name for name, source in FHIR_SOURCES.items() if level == "system" or source.patient]


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise _bad("_since", "An instant with its time zone, e.g. 2026-01-01T00:00:00Z.") from None
    except OverflowError:
        raise _bad("_since", OUT_OF_UTC_RANGE) from None


def _require_respond_async(fields: list[str]) -> None:
    """400 unless a `Prefer` field holds the preference `respond-async` (RFC 7240 §2: in any
    field, among others, its name case-insensitive)."""
    for field in fields:
        for preference in field.split(","):
            name = preference.split(";", 1)[0].partition("=")[0]
            if name.strip().lower() == "respond-async":
                return
    raise ValidationProblemError(
        [FieldProblem("#/prefer", "Send Prefer: respond-async.", "missing")],
        detail="A bulk export runs asynchronously: send Prefer: respond-async.",
    )


KICK_OFF_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Accepted: poll `Content-Location` for the status",
        "headers": {"Content-Location": {"schema": {"type": "string"}}},
    },
    429: {"description": "This client already has an export running (`Retry-After`)"},
}


def kick_off(level: str) -> Callable[..., Awaitable[Response]]:
    """The kick-off of an export of everything (`system`) or of the patients' compartments
    (`patient`: every type but Practitioner); its `_type` names only what it serves."""
    names = "|".join(_served(level))
    types_pattern = f"^({names})(,({names})){{0,{len(_served(level)) - 1}}}$"

    async def export(
        request: Request,
        caller: Exporter,
        prefer: Annotated[
            str | None,
            Header(
                max_length=200,
                description="`respond-async` (required): Bulk Data exports run asynchronously",
            ),
        ] = None,
        output_format: Annotated[OutputFormat | None, Query(alias="_outputFormat")] = None,
        since: Annotated[str | None, Query(alias="_since", pattern=SINCE_PATTERN)] = None,
        types: Annotated[str | None, Query(alias="_type", pattern=types_pattern)] = None,
    ) -> Response:
        _require_respond_async(request.headers.getlist("prefer"))
        row = await service.kick_off(
            caller.tenant,
            caller.principal,
            request.app.state.settings,
            export_format="fhir",
            level=level,
            types=list(dict.fromkeys(types.split(","))) if types else _served(level),
            since=_since(since),
            request=LEVELS[level] + (f"?{request.url.query}" if request.url.query else ""),
        )
        caller.audit("create", service.RESOURCE, outcome=202, resource_id=row.id)
        location = f"{fhir_base(request)}/bulk-status/{row.id}"
        return Response(status_code=202, headers={"Content-Location": location})

    return export


for _level, _path in LEVELS.items():
    router.add_api_route(
        _path,
        kick_off(_level),
        methods=["GET"],
        name=f"export_{_level}",
        status_code=202,
        response_class=Response,
        responses=KICK_OFF_RESPONSES,
        summary="Export every resource of the clinic (FHIR Bulk Data kick-off)"
        if _level == "system"
        else "Export every patient's compartment (FHIR Bulk Data kick-off)",
        description="Start an export (`_type`: some of the types; `_since`: only what changed "
        "after, and what was deleted). Needs `Prefer: respond-async`."
        + ("" if _level == "system" else " Every type but Practitioner."),
    )


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
    path = service.file_path(request.app.state.settings, row, name)
    caller.audit("read", service.RESOURCE, resource_id=row.id)
    return FileResponse(path, media_type=FHIR_NDJSON)
