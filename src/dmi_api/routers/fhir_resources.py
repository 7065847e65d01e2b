"""`/fhir/R4/{type}` and `/fhir/R4/{type}/{id}`: read and search of every FHIR resource type,
each built from its source description (`services/fhir_sources.py`): a search takes exactly the
parameters its tables can answer (`patient` where they name a child, `date` where they carry
one, `identifier` where they hold an external id)."""

# No `from __future__ import annotations`: the routes' parameter types are built per resource
# type (their id patterns) and must be evaluated where they are defined.
import inspect
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import Field

from dmi_api.auth.dependencies import Caller, require
from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.fhir import patients, practitioners
from dmi_api.fhir.bundles import counted, search_url, searchset
from dmi_api.fhir.media import FhirResponse, fhir_response, require_json
from dmi_api.fhir.search import (
    FHIR_ID,
    LAST_UPDATED_PATTERN,
    MAX_IDS,
    PATIENT_PATTERN,
    identifier_value,
    last_updated_bounds,
    patient_id,
)
from dmi_api.http.conditional import is_not_modified
from dmi_api.http.fhir_pages import sealed_query
from dmi_api.http.routing import ignored_query, prefers_lenient
from dmi_api.http_dates import http_date, read_http_date
from dmi_api.models import Child
from dmi_api.pagination import MAX_LIMIT
from dmi_api.routers import make_router
from dmi_api.routers.fhir import (
    NOT_ACCEPTABLE,
    CountParam,
    CursorParam,
    FormatParam,
    LastUpdatedParam,
    PrettyParam,
    fhir_base,
    fhir_content,
)
from dmi_api.routers.fhir_search_post import SearchByPostRoute, post_search_handler
from dmi_api.routers.params import DEFAULT_PAGE_SIZE
from dmi_api.services import fhir_search
from dmi_api.services.export_sources import Context, Source
from dmi_api.services.fhir_sources import FHIR_SOURCES
from dmi_api.stores.results import cursor_codec

router = make_router(tag="fhir", prefix="/fhir/R4", fhir=True)

# The scope each table's resources are read with (a type of several tables needs each).
SCOPES = {
    "child": "children:read",
    "practitioner": "practitioners:read",
    "session_record": "sessions:read",
    "assessment": "assessments:read",
    "milestone": "milestones:read",
    "prescription": "prescriptions:read",
}
DATE_PATTERN = LAST_UPDATED_PATTERN
# The identifier system of each type searched by `identifier`.
IDENTIFIER_KINDS = {"Patient": patients.SYSTEM_KIND, "Practitioner": practitioners.SYSTEM_KIND}


def scopes_of(source: Source) -> list[str]:
    """The scopes a type is read with."""
    return sorted({SCOPES[part.audited] for part in source.parts})


def _context(request: Request, caller: Caller) -> Context:
    return Context(caller.tenant, request.app.state.settings.issuer)


def _child_of(row: Any, model: type[Any]) -> uuid.UUID | None:
    found: uuid.UUID | None = row.id if model is Child else getattr(row, "child_id", None)
    return found


def _not_modified(request: Request, version: int, updated_at: datetime) -> bool:
    """A conditional read (FHIR http.html, "read"; RFC 9110 §13.2.2): `If-None-Match` naming
    this version (weakly compared: `W/"3"` or `"3"`), else `If-Modified-Since` not before the
    last change (to the second, as `Last-Modified` says it); an unreadable date is ignored."""
    if request.headers.get("if-none-match") is not None:
        return is_not_modified(request, version)
    since = request.headers.get("if-modified-since")
    moment = None if since is None else read_http_date(since)
    if moment is None:
        return False
    return updated_at.astimezone(UTC).replace(microsecond=0) <= moment


def read_handler(source: Source) -> Callable[..., Awaitable[Response]]:
    """`GET /{type}/{id}`: one resource; a deleted one is 410, another clinic's 404."""
    authorized = require(*scopes_of(source))

    async def read(
        request: Request,
        resource_id: Annotated[str, Path(alias="id", pattern=f"^{FHIR_ID}$")],
        _format: FormatParam = None,
        pretty: PrettyParam = None,
        caller: Caller = authorized,
    ) -> Response:
        require_json(request.headers.get("accept"), _format is not None)
        resource, part, row = await fhir_search.read(_context(request, caller), source, resource_id)
        child_id = _child_of(row, part.model)
        caller.audit("read", part.audited, resource_id=row.id, child_id=child_id)
        headers = {
            "ETag": f'W/"{row.version}"',
            "Last-Modified": http_date(row.updated_at),
        }
        if _not_modified(request, row.version, row.updated_at):
            return Response(status_code=304, headers=headers)
        return fhir_response(resource, pretty=pretty, headers=headers)

    return read


def _patient(patient: str | None, subject: str | None) -> tuple[bool, uuid.UUID | None]:
    """The child both parameters name (False: nothing matches: they name two children, or an
    id that is none of ours)."""
    named = {patient_id(value) for value in (patient, subject) if value}
    if len(named) > 1 or None in named:
        return False, None
    return True, next(iter(named), None)


PatientParam = Annotated[str | None, Query(pattern=PATIENT_PATTERN)]
# `_summary`: `count` (the number of matches, no entries) or `false` (the whole resources, as
# without it); FHIR's other summaries are not served.
SummaryParam = Annotated[
    str | None,
    Query(
        alias="_summary",
        max_length=16,
        description="`count`: the number of matches in `Bundle.total`, no entries (as "
        "`_count=0`); `false`: the whole resources; other summaries are not served",
    ),
]


# The query names of the search's arguments named otherwise.
ALIASES = {
    "id_": "_id",
    "last_updated": "_lastUpdated",
    "count": "_count",
    "summary": "_summary",
    "cursor": "_cursor",
    "pretty": "_pretty",
}


def _refuse_modifiers(ignored: frozenset[str], taken: set[str]) -> None:
    """400 for a modifier (`_id:not`, `identifier:exact`) on a parameter the search takes, also
    when `handling=lenient` would ignore it: a modifier changes the parameter's meaning, and
    FHIR's server SHALL reject one it does not support (search.html, "Modifiers")."""
    modified = sorted(name for name in ignored if name.partition(":")[0] in taken)
    if modified:
        raise ValidationProblemError(
            [
                FieldProblem(f"#/{name}", "No modifier is supported.", "unknown_parameter")
                for name in modified
            ],
            detail="Search modifiers are not supported.",
        )


def _counted(summary: str | None, count: int, request: Request) -> bool:
    """Whether the search answers only its number of matches: `_summary=count` or `_count=0`
    (FHIR search.html); another summary is a 400, ignored with `handling=lenient`."""
    if summary not in (None, "count", "false") and not prefers_lenient(
        request.headers.getlist("prefer")
    ):
        raise ValidationProblemError(
            [FieldProblem("#/_summary", "Only count or false.", "invalid_search_value")],
            detail="Only _summary=count (or false) is served.",
        )
    return summary == "count" or count == 0


DateParam = Annotated[list[Annotated[str, Field(pattern=DATE_PATTERN)]] | None, Query(max_length=2)]
IdentifierParam = Annotated[str | None, Query(max_length=600)]


def search_handler(source: Source) -> Callable[..., Awaitable[FhirResponse]]:
    """`GET /{type}?…`: the clinic's live resources matching every parameter, paged."""
    ids_pattern = f"^{FHIR_ID}(,{FHIR_ID}){{0,{MAX_IDS - 1}}}$"
    authorized = require(*scopes_of(source))

    async def search(
        request: Request,
        id_: Annotated[str | None, Query(alias="_id", pattern=ids_pattern)] = None,
        identifier: IdentifierParam = None,
        patient: PatientParam = None,
        subject: PatientParam = None,
        date: DateParam = None,
        last_updated: LastUpdatedParam = None,
        count: CountParam = DEFAULT_PAGE_SIZE,
        summary: SummaryParam = None,
        cursor: CursorParam = None,
        _format: FormatParam = None,
        pretty: PrettyParam = None,
        caller: Caller = authorized,
    ) -> FhirResponse:
        require_json(request.headers.get("accept"), _format is not None)
        context = _context(request, caller)
        matches, child_id = _patient(patient, subject)
        external_id = None
        if identifier is not None:
            system = context.system(IDENTIFIER_KINDS[source.name])
            external_id = identifier_value(identifier, system)
            matches = matches and external_id is not None  # another system, or none
        found: tuple[list[dict[str, Any]], str | None] = ([], None)
        query = fhir_search.Search(
            ids=None if id_ is None else tuple(id_.split(",")),  # at most MAX_IDS: its pattern
            patient=child_id,
            identifier=external_id,
            updated=tuple(last_updated_bounds(last_updated or [])),
            dates=tuple(last_updated_bounds(date or [], "date")),
        )
        ignored = ignored_query(request)
        _refuse_modifiers(ignored, taken)
        base = fhir_base(request)

        def link(params: list[tuple[str, str]]) -> str:
            # A search by POST names a page token, never its parameters (`http.fhir_pages`).
            sealed = sealed_query(request, request.scope["path"], params)
            if sealed is None:
                return search_url(base, source.name, params)
            return f"{base}/{source.name}?{sealed}"

        if _counted(summary, count, request):
            total = await fhir_search.count(context, source, query) if matches else 0
            caller.audit("list", source.parts[0].audited)
            used = [(n, v) for n, v in request.query_params.multi_items() if n not in ignored]
            return fhir_response(counted(link(used), total), pretty=pretty)
        if summary not in (None, "false"):  # ignored (lenient): not in the links
            ignored |= {"_summary"}
        if matches:
            found = await fhir_search.search(
                context,
                source,
                query,
                count=min(count, MAX_LIMIT),
                cursor=cursor,
                codec=cursor_codec(request, caller.tenant.clinic_id),
            )
        caller.audit("list", source.parts[0].audited)
        resources, next_cursor = found
        # The links name the parameters used: not those a lenient request had ignored.
        used = [(n, v) for n, v in request.query_params.multi_items() if n not in ignored]
        sealed = sealed_query(request, request.scope["path"], used) is not None
        bundle = searchset(
            base,
            resources,
            link=link,
            self_url=link(used) if ignored or sealed else str(request.url),
            params=used,
            next_cursor=next_cursor,
        )
        return fhir_response(bundle, pretty=pretty)

    # Only the parameters this type's tables can answer are taken (and documented).
    signature = inspect.signature(search)
    unanswered = {
        "identifier": not any(part.identifier for part in source.parts),
        "patient": not any(part.patient for part in source.parts),
        "subject": not any(part.patient for part in source.parts),
        "date": not any(part.date for part in source.parts),
    }

    def dropped(name: str) -> bool:
        return unanswered.get(name, False)

    taken = {ALIASES.get(name, name) for name in signature.parameters if not dropped(name)}
    search.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if not dropped(p.name)]
    )
    return search


def _add_get(
    path: str, handler: Any, name: str, summary: str, description: str, **more: Any
) -> None:
    """A FHIR GET route: its body `application/fhir+json`, its `responses` in `more`."""
    router.add_api_route(
        path,
        handler,
        methods=["GET"],
        name=name,
        response_class=FhirResponse,
        response_model=None,
        summary=summary,
        description=description,
        **more,
    )


for _source in FHIR_SOURCES.values():
    _name, _scopes = _source.name.lower(), ", ".join(scopes_of(_source))
    _add_get(
        f"/{_source.name}/{{id}}",
        read_handler(_source),
        f"read_{_name}",
        f"Read a {_source.name} (FHIR)",
        f"One {_source.name} (ETag, Last-Modified; a conditional read is 304); a deleted one "
        f"is 410, another clinic's 404. Scopes: {_scopes}.",
        responses={
            200: {"content": fhir_content(_source.name), "description": _source.name},
            304: {
                "description": 'Not Modified: `If-None-Match` names the version (`W/"n"`), '
                "or nothing changed since `If-Modified-Since`"
            },
            410: {"description": f"Gone: the {_source.name} was deleted"},
            **NOT_ACCEPTABLE,
        },
    )
    _add_get(
        f"/{_source.name}",
        search_handler(_source),
        f"search_{_name}",
        f"Search {_source.name} resources (FHIR)",
        f"The clinic's live {_source.name} resources, paged (`link.next`). Scopes: {_scopes}.",
        responses={
            200: {"content": fhir_content("Bundle"), "description": "A searchset Bundle"},
            **NOT_ACCEPTABLE,
        },
    )


for _route in [
    r for r in router.routes if isinstance(r, APIRoute) and r.name.startswith("search_")
]:
    router.add_api_route(
        f"{_route.path.removeprefix(router.prefix)}/_search",
        post_search_handler(_route),
        methods=["POST"],
        name=f"{_route.name}_by_post",
        response_class=FhirResponse,
        response_model=None,
        summary=f"{_route.summary} by POST",
        description="The same search as by GET, its parameters form-encoded in the body "
        "(and in the URL).",
        # Not in the OpenAPI document: its body is the GET search's parameters, which the
        # document states there (and the CapabilityStatement for FHIR clients).
        include_in_schema=False,
        route_class_override=SearchByPostRoute,
    )
