"""`/fhir/R4`: the clinic's records as FHIR R4 resources, read-only (`application/fhir+json`;
every error an OperationOutcome, `http/fhir_outcomes.py`). docs/fhir.md has the mapping."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import Field

from dmi_api import __version__
from dmi_api.auth.scopes import SCOPE_DESCRIPTIONS
from dmi_api.fhir.capability import capability_statement
from dmi_api.fhir.media import FhirResponse, Format, Pretty, fhir_response, require_json
from dmi_api.fhir.search import LAST_UPDATED_PATTERN
from dmi_api.models.columns import iso_z, utcnow
from dmi_api.pagination import MAX_LIMIT
from dmi_api.routers import make_router
from dmi_api.routers.oauth import AUTH_METHODS
from dmi_api.routers.params import Cursor
from dmi_api.security.jwks import ASSERTION_ALGORITHMS
from dmi_api.services.fhir_sources import FHIR_SOURCES, search_parameters

router = make_router(tag="fhir", prefix="/fhir/R4", fhir=True)


# FHIR's format parameters, on every interaction: JSON only; `_pretty=true` indents.
FormatParam = Annotated[Format | None, Query(alias="_format")]
PrettyParam = Annotated[Pretty | None, Query(alias="_pretty")]
# `_count`: FHIR's server never returns more than asked, and may return fewer: more than a page
# holds (`MAX_LIMIT`) is a page of `MAX_LIMIT` (an integer is FHIR's 32-bit one).
CountParam = Annotated[
    int,
    Query(
        alias="_count",
        ge=0,
        le=2**31 - 1,
        description=f"entries per page; more than {MAX_LIMIT} is served {MAX_LIMIT} a page; "
        "0: only the number of matches (`_summary=count`)",
    ),
]
CursorParam = Annotated[Cursor, Query(alias="_cursor")]
LastUpdatedParam = Annotated[
    list[Annotated[str, Field(pattern=LAST_UPDATED_PATTERN)]] | None,
    Query(alias="_lastUpdated", max_length=2),
]


def fhir_content(resource_type: str) -> dict[str, Any]:
    """A FHIR body in OpenAPI: its `resourceType` (the structure is FHIR's, docs/fhir.md)."""
    schema = {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string", "enum": [resource_type]}},
    }
    return {"application/fhir+json": {"schema": schema}}


# Every FHIR read, search and the metadata answer 406 to an Accept header without JSON.
NOT_ACCEPTABLE: dict[int | str, dict[str, Any]] = {
    406: {"description": "The Accept header takes no JSON (and no `_format` overrides it)"}
}

STARTED = iso_z(utcnow().replace(microsecond=0))


def fhir_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir/R4"


@router.get(
    "/metadata",
    response_class=FhirResponse,
    response_model=None,
    responses={
        200: {"content": fhir_content("CapabilityStatement"), "description": "What is served"},
        **NOT_ACCEPTABLE,
    },
    summary="FHIR CapabilityStatement",
)
async def metadata(
    request: Request, _format: FormatParam = None, pretty: PrettyParam = None
) -> FhirResponse:
    """What this FHIR server supports, exactly (no token needed)."""
    require_json(request.headers.get("accept"), _format is not None)
    served = {name: search_parameters(source) for name, source in FHIR_SOURCES.items()}
    statement = capability_statement(fhir_base(request), __version__, STARTED, served)
    return fhir_response(statement, pretty=pretty)


@router.get(
    "/.well-known/smart-configuration",
    summary="SMART configuration (Backend Services discovery)",
)
async def smart_configuration(request: Request) -> dict[str, Any]:
    """Where and how a SMART Backend Services client gets a token for this FHIR API (no token
    needed): the client-credentials grant, `private_key_jwt` (asymmetric) or a client secret
    (symmetric); the scopes are this API's own (`children:read`, ...), not SMART's."""
    settings = request.app.state.settings
    return {
        "token_endpoint": settings.token_url,
        "jwks_uri": f"{settings.issuer}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "scopes_supported": sorted(SCOPE_DESCRIPTIONS),
        "capabilities": ["client-confidential-asymmetric", "client-confidential-symmetric"],
    }
