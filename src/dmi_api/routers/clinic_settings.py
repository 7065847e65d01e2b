"""`/v1/clinic-settings`: the clinic's settings of the clinical rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request
from fastapi.responses import Response

from dmi_api.auth.dependencies import Caller, require
from dmi_api.http.conditional import etag, is_not_modified, require_if_match
from dmi_api.http.responses import FastJSONResponse as JSONResponse
from dmi_api.routers import make_router
from dmi_api.routers.resource_support import IF_MATCH_DOC, json_body
from dmi_api.schemas.clinic_settings import ClinicSettingsPublic, ClinicSettingsPut
from dmi_api.services import clinic_settings as service

router = make_router(tag="clinic-settings", prefix="/v1/clinic-settings")
RESOURCE = "clinic_settings"


def _response(request: Request, public: ClinicSettingsPublic) -> Response:
    headers = {"ETag": etag(public.version)}
    if request.method == "GET" and is_not_modified(request, public.version):
        return Response(status_code=304, headers=headers)
    return JSONResponse(json_body(public), headers=headers)


@router.get("", response_model=ClinicSettingsPublic, summary="Get the clinic's rule settings")
async def get_clinic_settings(
    caller: Annotated[Caller, require("settings:read")], request: Request
) -> Response:
    """The settings the clinical rules use (defaults until changed), with an ETag."""
    row = await service.get(caller.tenant)
    caller.audit("read", RESOURCE)
    return _response(request, service.to_public(row))


@router.put("", response_model=ClinicSettingsPublic, summary="Replace the clinic's rule settings")
async def put_clinic_settings(
    caller: Annotated[Caller, require("settings:write")],
    request: Request,
    payload: ClinicSettingsPut,
    if_match: Annotated[str | None, Header(alias="If-Match", description=IF_MATCH_DOC)] = None,
) -> Response:
    """Replace the settings (`If-Match` of the current ETag, `"0"` before the first change);
    every final assessment's scores are computed again under the new settings."""
    row = await service.get(caller.tenant, for_update=True)
    require_if_match(request, row.version)
    row, changed = await service.replace(
        caller.tenant, row=row, payload=payload, client_id=caller.principal.client_id
    )
    caller.audit("update" if changed else "read", RESOURCE)  # a change of nothing: a read
    return _response(request, service.to_public(row))
