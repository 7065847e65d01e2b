"""`/v1/session-records` (and `/v1/children/{child_id}/session-records`): sessions as they happened.

The router has no prefix because the nested child list lives here too: one module owns the
resource and its scopes.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response

from dmi_api.auth.dependencies import Caller, require, require_token
from dmi_api.auth.principal import Principal
from dmi_api.http.problems import problem_responses
from dmi_api.models import SessionRecord
from dmi_api.queries.list_specs import ListParameters
from dmi_api.queries.lists import SESSION_RECORDS
from dmi_api.routers import make_router
from dmi_api.routers.child_creates import add_child_create
from dmi_api.routers.resource_routes import ResourceRoutes
from dmi_api.routers.resource_support import (
    Body,
    IdempotencyKeyHeader,
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
from dmi_api.services.session_record_views import plain_view
from dmi_api.stores import stores
from dmi_api.stores.idempotent import idempotent_create
from dmi_api.tenant_scope import Tenant

router = make_router(tag="session-records")
URL = "/v1/session-records"
ITEM_URL = URL + "/{record_id}"
Writer = Annotated[Caller, require("sessions:write")]
# Listing and creating: the token here, the rest in the store (`dmi_api.stores`).
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
    """Either list (`fixed`: the child of the path)."""
    filters = SESSION_RECORDS.values(params, **fixed)
    store = stores(request).session_records
    bodies, cursor = await store.page(
        request, principal, params.page(), filters, nested=bool(fixed)
    )
    return page_response(request, bodies, cursor)


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
) -> Response:
    """Record a session with its exercises (all or none); retry safely with `Idempotency-Key`."""
    return await stores(request).session_records.create(
        request, principal, payload, idempotency_key=idempotency_key, child_in_path=False
    )


async def _view(tenant: Tenant, row: SessionRecord) -> Body:
    return plain_view(row, await queries.amendments_of(tenant, row))


ROUTES = ResourceRoutes(
    router,
    "session_record",
    URL,
    "sessions",
    queries.get,
    _view,
    param="record_id",
)


async def _create_for_child(
    request: Request, principal: Principal, payload: Any, key: str | None
) -> Response:
    return await stores(request).session_records.create(
        request, principal, payload, idempotency_key=key, child_in_path=True
    )


add_child_create(
    router,
    collection="session-records",
    body=SessionRecordCreate,
    response_model=SessionRecordPublic,
    scope="sessions:write",
    summary="Record a session of a child",
    served=_create_for_child,
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
        body = AmendmentPublic.model_validate(amendment, from_attributes=True)
        return 201, json_body(body), {"Location": f"{URL}/{row.id}"}

    return await idempotent_create(caller, request, idempotency_key, payload, create)


ROUTES.add_versions(
    "Every version of the record, amendments included, oldest first, a page at a time."
)
