"""`/v1/session-records` (and `/v1/children/{child_id}/session-records`): sessions as they happened.

The router has no prefix because the nested child list lives here too: one module owns the
resource and its scopes.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from dmi_api.auth.dependencies import Caller, caller_session, require, require_token
from dmi_api.auth.principal import Principal
from dmi_api.direct import session_lists as direct_lists
from dmi_api.direct import session_records as direct_records
from dmi_api.direct.bound_db import DirectDb, direct_db
from dmi_api.http.conditional import etag
from dmi_api.http.problems import problem_responses
from dmi_api.http.responses import FastJSONResponse
from dmi_api.models import SessionRecord
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import SESSION_RECORDS
from dmi_api.routers import make_router
from dmi_api.routers.child_creates import Created, add_child_create
from dmi_api.routers.resource_routes import ResourceRoutes
from dmi_api.routers.resource_support import (
    Body,
    IdempotencyKeyHeader,
    idempotent_create,
    json_body,
    page_response,
)
from dmi_api.schemas.common import Page
from dmi_api.schemas.session_records import (
    AmendmentCreate,
    AmendmentPublic,
    SessionRecordCreate,
    SessionRecordPatch,
    SessionRecordPublic,
    SignRequest,
)
from dmi_api.services import session_record_commands as commands
from dmi_api.services import session_record_queries as queries
from dmi_api.services.session_record_rules import AMENDMENT, RESOURCE
from dmi_api.services.session_record_views import plain_view
from dmi_api.tenant_scope import Tenant

router = make_router(tag="session-records")
URL = "/v1/session-records"
ITEM_URL = URL + "/{record_id}"
Writer = Annotated[Caller, require("sessions:write")]
# Listing and creating: the token here, the rest in direct statements (dmi_api.direct).
ReadToken = Annotated[Principal, require_token("sessions:read")]
WriteToken = Annotated[Principal, require_token("sessions:write")]
if TYPE_CHECKING:
    ListQueryParams = ListParameters
    ChildListQueryParams = ListParameters
else:
    ListQueryParams = SESSION_RECORDS.model("SessionRecordListQuery")
    ChildListQueryParams = SESSION_RECORDS.model(
        "ChildSessionRecordListQuery", without=("child_id",)
    )


async def _page(
    request: Request, principal: Principal, params: ListParameters, **fixed: Any
) -> JSONResponse:
    """Either list: one statement (PostgreSQL), else the session path."""
    codec, query = request.app.state.cursor_codec, params.page()
    filters, nested = SESSION_RECORDS.values(params, **fixed), bool(fixed)
    if (direct := direct_db(request)) is not None:
        bodies, next_cursor = await direct_lists.list_records(
            direct, principal, query=query, codec=codec, filters=filters, nested=nested
        )
        return page_response(request, bodies, next_cursor)
    async with caller_session(request, principal) as caller:
        if nested:
            await queries.live_child(caller.tenant, filters["child_id"])
        bodies, next_cursor = await queries.list_public(
            caller.tenant, query=query, codec=codec, filters=filters
        )
        caller.audit("list", RESOURCE, child_id=filters.get("child_id"))
    return page_response(request, bodies, next_cursor)


@router.get(URL, response_model=Page[SessionRecordPublic], summary="List session records")
async def list_session_records(
    principal: ReadToken, request: Request, params: Annotated[ListQueryParams, Query()]
) -> JSONResponse:
    """List records with amendments; `updated_since` includes tombstones for sync."""
    return await _page(request, principal, params)


@router.get(
    "/v1/children/{child_id}/session-records",
    response_model=Page[SessionRecordPublic],
    summary="List a child's session records",
)
async def list_child_session_records(
    principal: ReadToken,
    request: Request,
    child_id: uuid.UUID,
    params: Annotated[ChildListQueryParams, Query()],
) -> JSONResponse:
    """One child's session records; 404 if the child is not the clinic's."""
    return await _page(request, principal, params, child_id=child_id)


@router.post(URL, status_code=201, response_model=SessionRecordPublic, summary="Record a session")
async def create_session_record(
    principal: WriteToken,
    request: Request,
    payload: SessionRecordCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Record a session with its exercises (all or none); retry safely with `Idempotency-Key`."""
    if idempotency_key is None and (direct := direct_db(request)) is not None:
        status, body, headers = await _create_direct(direct, principal, payload)
        return FastJSONResponse(body, status_code=status, headers=headers)
    async with caller_session(request, principal) as caller:

        async def create() -> Created:
            return await _create(caller, payload)

        return await idempotent_create(caller, request, idempotency_key, payload, create)


async def _view(tenant: Tenant, row: SessionRecord) -> Body:
    return plain_view(row, await queries.amendments_of(tenant, row))


ROUTES = ResourceRoutes(
    router, "session_record", URL, "sessions", queries.get, _view, param="record_id"
)
# Create, audit, and answer as both POSTs do (the session path).
_create = ROUTES.creation(commands.create)


async def _create_direct(
    direct: DirectDb, principal: Principal, payload: SessionRecordCreate, *, nested: bool = False
) -> Created:
    """The same in one statement (`nested`: a child missing from the path is 404, not 422)."""
    created = await direct_records.create(direct, principal, payload, child_in_path=nested)
    return 201, created.body, {"ETag": etag(created.version), "Location": f"{URL}/{created.id}"}


async def _create_direct_nested(
    direct: DirectDb, principal: Principal, payload: SessionRecordCreate
) -> Created:
    return await _create_direct(direct, principal, payload, nested=True)


add_child_create(
    router,
    collection="session-records",
    body=SessionRecordCreate,
    response_model=SessionRecordPublic,
    scope="sessions:write",
    summary="Record a session of a child",
    create=_create,
    direct_create=_create_direct_nested,
)


ROUTES.add_get(
    SessionRecordPublic, "One record with its amendments and ETag (`If-None-Match` → 304)."
)
ROUTES.add_patch(
    SessionRecordPublic,
    SessionRecordPatch,
    commands.update,
    "Change an unsigned record (signed: 409 `session_signed`); needs `If-Match`.",
)
ROUTES.add_delete(
    commands.delete,
    "Tombstone an unsigned record (signed: 409 `session_signed`); needs `If-Match`.",
    responses=problem_responses(409),  # a signed record is amended, never deleted
)


async def _sign(tenant: Tenant, *, patch: SignRequest, **rest: Any) -> tuple[SessionRecord, Body]:
    return await commands.sign(tenant, payload=patch, **rest)


ROUTES.add_patch(
    SessionRecordPublic,
    SignRequest,
    _sign,
    "Sign the record (signed already: 409 `already_signed`); needs `If-Match`.",
    "POST",
    path=ROUTES.item + "/sign",
    summary="Sign a session record",
    name="sign_session_record",
)


@router.post(
    ITEM_URL + "/amendments",
    status_code=201,
    response_model=AmendmentPublic,
    summary="Amend a signed session record",
)
async def amend_session_record(
    caller: Writer,
    request: Request,
    record_id: uuid.UUID,
    payload: AmendmentCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Append an amendment to a signed record (unsigned: 409 `session_not_signed`)."""

    async def create() -> tuple[int, dict[str, object], dict[str, str]]:
        row = await queries.get(caller.tenant, record_id, for_update=True)
        amendment = await commands.amend(
            caller.tenant, row=row, payload=payload, client_id=caller.principal.client_id
        )
        caller.audit(
            "create",
            AMENDMENT,
            outcome=201,
            resource_id=amendment.id,
            child_id=row.child_id,
        )
        body = AmendmentPublic.model_validate(amendment, from_attributes=True)
        return 201, json_body(body), {"Location": f"{URL}/{row.id}"}

    return await idempotent_create(caller, request, idempotency_key, payload, create)


ROUTES.add_versions(
    "Every version of the record, amendments included, oldest first, a page at a time."
)
