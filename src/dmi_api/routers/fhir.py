"""`/fhir/R4`: the clinic's records as FHIR R4 resources, read-only (`application/fhir+json`;
every error an OperationOutcome, `http/fhir_outcomes.py`). docs/fhir.md has the mapping."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from dmi_api import __version__
from dmi_api.auth.dependencies import Caller, require
from dmi_api.auth.scopes import SCOPE_DESCRIPTIONS
from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.fhir import patients, practitioners
from dmi_api.fhir.bundles import searchset
from dmi_api.fhir.capability import capability_statement
from dmi_api.fhir.identifiers import identifier_system
from dmi_api.fhir.media import FhirResponse, Format, Pretty, fhir_response
from dmi_api.fhir.search import (
    IDS_PATTERN,
    LAST_UPDATED_PATTERN,
    MAX_IDS,
    identifier_value,
    last_updated_bounds,
)
from dmi_api.models import Child, Practitioner
from dmi_api.models.columns import iso_z, utcnow
from dmi_api.queries.pages import ListQuery
from dmi_api.routers import make_router
from dmi_api.routers.oauth import AUTH_METHODS
from dmi_api.routers.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from dmi_api.security.jwks import ASSERTION_ALGORITHMS
from dmi_api.services import children
from dmi_api.services import fhir_reads as service
from dmi_api.services import practitioners as practitioner_service

router = make_router(tag="fhir", prefix="/fhir/R4")


# FHIR's format parameters, on every interaction: JSON only; `_pretty=true` indents.
FormatParam = Annotated[Format | None, Query(alias="_format")]
PrettyParam = Annotated[Pretty | None, Query(alias="_pretty")]
IdsParam = Annotated[str | None, Query(alias="_id", pattern=IDS_PATTERN)]
CountParam = Annotated[Limit, Query(alias="_count")]
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


STARTED = iso_z(utcnow().replace(microsecond=0))


def fhir_base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir/R4"


@router.get(
    "/metadata",
    response_class=FhirResponse,
    response_model=None,
    responses={
        200: {"content": fhir_content("CapabilityStatement"), "description": "What is served"}
    },
    summary="FHIR CapabilityStatement",
)
async def metadata(
    request: Request, _format: FormatParam = None, pretty: PrettyParam = None
) -> FhirResponse:
    """What this FHIR server supports, exactly (no token needed)."""
    statement = capability_statement(fhir_base(request), __version__, STARTED)
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


def ids_of(value: str | None) -> list[uuid.UUID] | None:
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


@dataclass(frozen=True)
class Kind:
    """One FHIR resource type served from one of our tables: its scope, how a stored row is
    mapped, its identifier system and the audit's resource."""

    resource_type: str
    model: type[Any]
    scope: str
    audited: str
    mapping: Callable[..., dict[str, Any]]
    system_kind: str
    child_of: Callable[[Any], uuid.UUID | None]


KINDS = (
    Kind(
        "Patient",
        Child,
        "children:read",
        children.RESOURCE,
        patients.patient,
        patients.SYSTEM_KIND,
        lambda row: row.id,
    ),
    Kind(
        "Practitioner",
        Practitioner,
        "practitioners:read",
        practitioner_service.RESOURCE,
        practitioners.practitioner,
        practitioners.SYSTEM_KIND,
        lambda _row: None,
    ),
)


def read_handler(kind: Kind) -> Callable[..., Awaitable[FhirResponse]]:
    """`GET /{type}/{id}` of one kind."""
    authorized = require(kind.scope)  # the caller, with this kind's read scope

    async def read(
        request: Request,
        resource_id: Annotated[uuid.UUID, Path(alias="id")],
        _format: FormatParam = None,
        pretty: PrettyParam = None,
        caller: Caller = authorized,
    ) -> FhirResponse:
        row = await service.read(caller.tenant, kind.model, resource_id, kind.resource_type)
        caller.audit("read", kind.audited, resource_id=row.id, child_id=kind.child_of(row))
        system = _system(request, caller, kind)
        headers = {"ETag": f'W/"{row.version}"'}
        return fhir_response(kind.mapping(row, system=system), pretty=pretty, headers=headers)

    return read


async def bundle_response(
    request: Request,
    caller: Caller,
    kind: Kind,
    page: tuple[list[Any], str | None],
    pretty: Pretty | None,
) -> FhirResponse:
    """A search's page as a `searchset` Bundle (the search audited as a list)."""
    rows, next_cursor = page
    caller.audit("list", kind.audited)
    system = _system(request, caller, kind)
    bundle = searchset(
        fhir_base(request),
        kind.resource_type,
        [kind.mapping(row, system=system) for row in rows],
        self_url=str(request.url),
        params=list(request.query_params.multi_items()),
        next_cursor=next_cursor,
    )
    return fhir_response(bundle, pretty=pretty)


def _search_by_identifier(kind: Kind) -> Callable[..., Awaitable[FhirResponse]]:
    """`GET /{type}?…` of a kind found by `_id`, `identifier` and `_lastUpdated`."""
    authorized = require(kind.scope)

    async def search(
        request: Request,
        id_: IdsParam = None,
        identifier: Annotated[str | None, Query(max_length=600)] = None,
        last_updated: LastUpdatedParam = None,
        count: CountParam = DEFAULT_PAGE_SIZE,
        cursor: CursorParam = None,
        _format: FormatParam = None,
        pretty: PrettyParam = None,
        caller: Caller = authorized,
    ) -> FhirResponse:
        system = _system(request, caller, kind)
        external_id = identifier_value(identifier, system) if identifier is not None else None
        bounds = last_updated_bounds(last_updated or [])
        page: tuple[list[Any], str | None] = ([], None)
        if identifier is None or external_id is not None:  # another system matches nothing
            page = await service.search(
                caller.tenant,
                kind.model,
                ids=ids_of(id_),
                equal={} if external_id is None else {"external_id": external_id},
                ranges={"updated_at": bounds},
                query=ListQuery(limit=count, cursor=cursor),
                codec=request.app.state.cursor_codec,
            )
        return await bundle_response(request, caller, kind, page, pretty)

    return search


def add_routes(
    target: APIRouter,
    kind: Kind,
    read: Callable[..., Awaitable[FhirResponse]],
    search: Callable[..., Awaitable[FhirResponse]],
) -> None:
    """Serve a kind's read and search on `target`."""
    name = kind.resource_type.lower()
    target.add_api_route(
        f"/{kind.resource_type}/{{id}}",
        read,
        methods=["GET"],
        name=f"read_{name}",
        response_class=FhirResponse,
        response_model=None,
        responses={
            200: {"content": fhir_content(kind.resource_type), "description": kind.resource_type},
            410: {"description": f"Gone: the {kind.resource_type} was deleted"},
        },
        summary=f"Read a {kind.resource_type} (FHIR)",
        description=f"One {kind.resource_type}; a deleted one is 410, another clinic's 404.",
    )
    target.add_api_route(
        f"/{kind.resource_type}",
        search,
        methods=["GET"],
        name=f"search_{name}",
        response_class=FhirResponse,
        response_model=None,
        responses={200: {"content": fhir_content("Bundle"), "description": "A searchset Bundle"}},
        summary=f"Search {kind.resource_type} resources (FHIR)",
        description=f"The clinic's live {kind.resource_type} resources, paged (`link.next`).",
    )


def _system(request: Request, caller: Caller, kind: Kind) -> str:
    issuer: str = request.app.state.settings.issuer
    return identifier_system(issuer, caller.tenant.clinic_id, kind.system_kind)


for _kind in KINDS:
    add_routes(router, _kind, read_handler(_kind), _search_by_identifier(_kind))
