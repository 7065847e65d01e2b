"""The operations every clinical resource has, added to its router once: creation, GET one,
PATCH and DELETE with `If-Match`, and the version history, each audited.

Each handler is named as a resource's own handler was (`get_exercise`, `exercise_versions`, ...)
and its path parameter keeps the resource's name (`exercise_id`), so that the operation ids and
the OpenAPI document are those of hand-written handlers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from dmi_api.auth.dependencies import Caller, require
from dmi_api.http.conditional import etag, require_if_match
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.routers.child_creates import Created, add_child_create
from dmi_api.routers.resource_support import (
    Body,
    IdempotencyKeyHeader,
    IfMatch,
    PageParams,
    body_data,
    idempotent_create,
    resource_response,
    versions_page,
)
from dmi_api.schemas.base import VersionPublic
from dmi_api.schemas.common import Page
from dmi_api.tenant_scope import Tenant

RowT = TypeVar("RowT", bound=ClinicalRow)
View = Callable[[Tenant, RowT], Awaitable[Body]]
# A service's create or update (called with keywords), answering with the row and its body.
Answered = Callable[..., Awaitable[tuple[RowT, Body]]]
Doc = tuple[str, str]  # an operation's summary and description


def answered(call: Callable[..., Awaitable[RowT]], view: View[RowT]) -> Answered[RowT]:
    """A service call that returns the row, answering with the row and its view."""

    async def answer(tenant: Tenant, **arguments: Any) -> tuple[RowT, Body]:
        row = await call(tenant, **arguments)
        return row, await view(tenant, row)

    return answer


def viewed(to_public: Callable[[RowT], Body]) -> View[RowT]:
    """A view that needs no query, as the builders take views."""

    async def view(_tenant: Tenant, row: RowT) -> Body:
        return to_public(row)

    return view


def _no_child(_row: Any) -> uuid.UUID | None:
    return None


def child_id_of(row: Any) -> uuid.UUID | None:
    """The child a row belongs to, for its audit events."""
    child_id: uuid.UUID = row.child_id
    return child_id


@dataclass(frozen=True)
class ResourceRoutes(Generic[RowT]):
    """One resource's router, and how to find, show and audit its rows."""

    router: APIRouter
    resource: str  # the audited resource type
    name: str  # names the handlers: get_<name>, patch_<name>, delete_<name>, <name>_versions
    path: str  # the collection's path in the router ("" under a prefix)
    param: str  # the item's path parameter
    scopes: tuple[str, str]  # to read, to write
    get: Callable[..., Awaitable[RowT]]  # the service's `get(tenant, id, for_update=...)`
    view: View[RowT]
    child_of: Callable[[RowT], uuid.UUID | None] = _no_child  # the audit events' child

    def _audit(self, caller: Caller, action: Any, row: RowT, outcome: int = 200) -> None:
        caller.audit(
            action, self.resource, outcome=outcome, resource_id=row.id, child_id=self.child_of(row)
        )

    def _add(
        self, handler: Callable[..., Any], method: str, doc: Doc, *, write: bool, **options: Any
    ) -> None:
        # FastAPI reads these as objects: the scope and the path parameter are the resource's.
        handler.__annotations__.update(
            caller=Annotated[Caller, require(self.scopes[write])],
            item_id=Annotated[uuid.UUID, Path(alias=self.param)],
        )
        options.setdefault("path", f"{self.path}/{{{self.param}}}")
        self.router.add_api_route(
            endpoint=handler, methods=[method], summary=doc[0], description=doc[1], **options
        )

    def creation(self, create: Answered[RowT]) -> Callable[[Caller, Any], Awaitable[Created]]:
        """Create, audit, and answer with `ETag` and `Location`, as the resource's POSTs do."""
        location = f"{self.router.prefix}{self.path}"

        async def run(caller: Caller, payload: Any) -> Created:
            row, body = await create(
                caller.tenant, payload=payload, client_id=caller.principal.client_id
            )
            self._audit(caller, "create", row, 201)
            return (
                201,
                body_data(body),
                {"ETag": etag(row.version), "Location": f"{location}/{row.id}"},
            )

        return run

    def add_create(
        self,
        body: type[BaseModel],
        model: type[BaseModel],
        doc: Doc,
        create: Answered[RowT],
        *,
        child_summary: str | None = None,
    ) -> None:
        """`POST` the collection (and, with `child_summary`, a child's collection)."""
        run = self.creation(create)

        async def handler(
            caller: Caller,
            request: Request,
            payload: Any,
            idempotency_key: IdempotencyKeyHeader = None,
        ) -> JSONResponse:
            async def attempt() -> Created:
                return await run(caller, payload)

            return await idempotent_create(caller, request, idempotency_key, payload, attempt)

        handler.__annotations__.update(payload=body)
        self._add(
            handler,
            "POST",
            doc,
            write=True,
            path=self.path,
            status_code=201,
            response_model=model,
            name=f"create_{self.name}",
        )
        if child_summary is not None:
            add_child_create(
                self.router,
                collection=self.path.removeprefix("/v1/"),
                body=body,
                response_model=model,
                scope=self.scopes[1],
                summary=child_summary,
                create=run,
            )

    def add_get(self, model: type[BaseModel], doc: Doc) -> None:
        """`GET` one row, with its ETag (`If-None-Match`: 304)."""

        async def handler(caller: Caller, request: Request, item_id: uuid.UUID) -> Response:
            row = await self.get(caller.tenant, item_id)
            self._audit(caller, "read", row)
            return resource_response(request, row, await self.view(caller.tenant, row))

        self._add(handler, "GET", doc, write=False, response_model=model, name=f"get_{self.name}")

    def add_patch(
        self, model: type[BaseModel], patch: type[BaseModel], doc: Doc, update: Answered[RowT]
    ) -> None:
        """`PATCH` one row with `If-Match`."""

        async def handler(
            caller: Caller,
            request: Request,
            item_id: uuid.UUID,
            payload: Any,
            if_match: IfMatch = None,
        ) -> Response:
            row = await self.get(caller.tenant, item_id, for_update=True)
            require_if_match(request, row.version)
            row, body = await update(
                caller.tenant, row=row, patch=payload, client_id=caller.principal.client_id
            )
            self._audit(caller, "update", row)
            return resource_response(request, row, body)

        handler.__annotations__.update(payload=patch)
        self._add(
            handler, "PATCH", doc, write=True, response_model=model, name=f"patch_{self.name}"
        )

    def add_delete(self, doc: Doc, delete: Callable[..., Awaitable[None]], **options: Any) -> None:
        """`DELETE` (tombstone) one row with `If-Match`."""

        async def handler(
            caller: Caller, request: Request, item_id: uuid.UUID, if_match: IfMatch = None
        ) -> Response:
            row = await self.get(caller.tenant, item_id, for_update=True)
            require_if_match(request, row.version)
            await delete(caller.tenant, row=row, client_id=caller.principal.client_id)
            self._audit(caller, "delete", row, 204)
            return Response(status_code=204)

        self._add(
            handler,
            "DELETE",
            doc,
            write=True,
            status_code=204,
            name=f"delete_{self.name}",
            **options,
        )

    def add_versions(self, description: str) -> None:
        """`GET` one row's version history, a page at a time."""

        async def handler(
            caller: Caller, request: Request, item_id: uuid.UUID, page: PageParams
        ) -> JSONResponse:
            row = await self.get(caller.tenant, item_id)
            return await versions_page(
                caller,
                request,
                page,
                resource_type=self.resource,
                resource_id=row.id,
                child_id=self.child_of(row),
            )

        self._add(
            handler,
            "GET",
            ("Version history", description),
            write=False,
            path=f"{self.path}/{{{self.param}}}/versions",
            response_model=Page[VersionPublic],
            name=f"{self.name}_versions",
        )

    def add_item(
        self,
        model: type[BaseModel],
        patch: type[BaseModel],
        *,
        get: Doc,
        change: Doc,
        remove: Doc,
        versions: str,
        update: Answered[RowT],
        delete: Callable[..., Awaitable[None]],
    ) -> None:
        """The four item operations: GET, PATCH, DELETE and the version history."""
        self.add_get(model, get)
        self.add_patch(model, patch, change, update)
        self.add_delete(remove, delete)
        self.add_versions(versions)
