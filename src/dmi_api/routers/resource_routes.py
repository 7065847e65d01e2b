"""The operations every clinical resource has, added to its router once: creation, GET one,
PATCH and DELETE with `If-Match`, the version history, and the lists (with a child's), each
audited.

Each handler is named as a resource's own handler was (`get_exercise`, `exercise_versions`, ...)
and its path parameter keeps the resource's name (`exercise_id`), so that the operation ids and
the OpenAPI document are those of hand-written handlers. Summaries and descriptions follow one
pattern ("Get an exercise"; "One exercise, with its ETag ...") unless a resource words its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from dmi_api.auth.dependencies import Caller, require
from dmi_api.http.conditional import etag, require_if_match
from dmi_api.models.clinical_row import ClinicalRow
from dmi_api.queries.list_specs import ListSpec
from dmi_api.routers.child_creates import add_child_create
from dmi_api.routers.params import DEFAULT_PAGE_SIZE, Cursor, Limit
from dmi_api.routers.resource_support import (
    MERGE_PATCH,
    Body,
    ChangeKeyHeader,
    IdempotencyKeyHeader,
    IfMatch,
    body_data,
    media_type,
    merged_payload,
    page_response,
    resource_response,
)
from dmi_api.schemas.base import VersionPublic
from dmi_api.schemas.common import Page
from dmi_api.services import children, history
from dmi_api.stores.idempotent import Created, idempotent_create, once_per_key
from dmi_api.stores.results import cursor_codec
from dmi_api.tenant_scope import Tenant

RowT = TypeVar("RowT", bound=ClinicalRow)
MERGE_DOC = (
    " Fields sent replace the stored ones, `null` clears one; an object sent replaces the"
    " stored one whole, unless the body is `application/merge-patch+json` (RFC 7396): then it"
    " merges into it (a member's `null` removes the member). Lists are replaced either way."
)
View = Callable[[Tenant, RowT], Awaitable[Body]]
# A service's create or update (called with keywords): the row, or the row and its body.
Answered = Callable[..., Awaitable[RowT | tuple[RowT, Body]]]
Delete = Callable[..., Awaitable[None]]
# A service's page (`tenant, *, query, codec, filters`): its bodies and the next cursor.
Listed = Callable[..., Awaitable[tuple[list[Any], str | None]]]


def viewed(to_public: Callable[[RowT], Body]) -> View[RowT]:
    """A view that needs no query, as the builders take views."""

    async def view(_tenant: Tenant, row: RowT) -> Body:
        return to_public(row)

    return view


def paged(
    list_rows: Callable[..., Awaitable[tuple[list[RowT], str | None]]],
    views: Callable[[Tenant, list[RowT]], Awaitable[list[Any]]],
) -> Listed:
    """A service's page of rows with their views, as `add_list` takes it."""

    async def page(tenant: Tenant, **options: Any) -> tuple[list[Any], str | None]:
        rows, cursor = await list_rows(tenant, **options)
        return await views(tenant, rows), cursor

    return page


def listed_as(
    to_public: Callable[[RowT], Body],
) -> Callable[[Tenant, list[RowT]], Awaitable[list[Any]]]:
    """Views that need no query, as `paged` takes them."""

    async def views(_tenant: Tenant, rows: list[RowT]) -> list[Any]:
        return [to_public(row) for row in rows]

    return views


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


@dataclass(frozen=True)
class ResourceRoutes(Generic[RowT]):
    """One resource's router, and how to find, show and audit its rows."""

    router: APIRouter
    name: str  # the resource type (audit events, versions); names the handlers (get_<name>)
    path: str  # the collection's path in the router ("" under a prefix)
    scope: str  # `<scope>:read`, `<scope>:write`
    get: Callable[..., Awaitable[RowT]]  # the service's `get(tenant, id, for_update=...)`
    view: View[RowT]
    param: str = ""  # the item's path parameter: `<name>_id` unless named here
    noun: str = ""  # descriptions' word, if not the name; summaries then say both

    @property
    def item(self) -> str:
        """The path of one row: the collection's, then `{<param>}`."""
        name = self.param or self.name + "_id"
        return f"{self.path}/{{{name}}}"

    async def _answer(self, tenant: Tenant, done: RowT | tuple[RowT, Body]) -> tuple[RowT, Body]:
        """What a create or update answered, with the row's view if it gave none."""
        return done if isinstance(done, tuple) else (done, await self.view(tenant, done))

    def _audit(self, caller: Caller, action: Any, row: RowT, outcome: int = 200) -> None:
        child_id = history.child_of(row)
        caller.audit(action, self.name, outcome=outcome, resource_id=row.id, child_id=child_id)

    def _add(self, handler: Callable[..., Any], method: str, doc: str, **options: Any) -> None:
        # FastAPI reads these as objects: the scope and the path parameter are the resource's.
        write = method != "GET"
        handler.__annotations__.update(
            caller=Annotated[Caller, require(f"{self.scope}:{'write' if write else 'read'}")],
            item_id=Annotated[uuid.UUID, Path(alias=self.param or f"{self.name}_id")],
        )
        options.setdefault("path", self.item)
        words = f"{self.name} {self.noun}" if self.noun else self.name.replace("_", " ")
        verb = {"GET": "Get", "PATCH": "Change", "DELETE": "Delete"}.get(method)
        options.setdefault("summary", f"{verb} {_a(words)}")
        options.setdefault("name", f"{method.lower()}_{self.name}")
        self.router.add_api_route(endpoint=handler, methods=[method], description=doc, **options)

    def creation(self, create: Answered[RowT]) -> Callable[[Caller, Any], Awaitable[Created]]:
        """Create (the service keeps and audits the change) and answer with `ETag` and `Location`,
        as the resource's POSTs do."""
        location = f"{self.router.prefix}{self.path}"

        async def run(caller: Caller, payload: Any) -> Created:
            client_id = caller.principal.client_id
            done = await create(caller.tenant, payload=payload, client_id=client_id)
            row, body = await self._answer(caller.tenant, done)
            headers = {"ETag": etag(row.version), "Location": f"{location}/{row.id}"}
            return 201, body_data(body), headers

        return run

    def add_create(
        self,
        body: type[BaseModel],
        model: type[BaseModel],
        summary: str,
        doc: str,
        create: Answered[RowT],
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
        options = {"status_code": 201, "response_model": model, "summary": summary}
        self._add(handler, "POST", doc, path=self.path, name=f"create_{self.name}", **options)
        if child_summary is not None:
            add_child_create(
                self.router,
                collection=self.path.removeprefix("/v1/"),
                body=body,
                response_model=model,
                scope=f"{self.scope}:write",
                summary=child_summary,
                create=run,
            )

    def add_list(
        self,
        spec: ListSpec,
        model: type[BaseModel],
        page: Listed,
        summary: str,
        doc: str,
        child: tuple[str, str] | None = None,
    ) -> None:
        """`GET` the collection, a page at a time, with `spec`'s filters; `child`: the summary
        and description of the same list of one child (`/v1/children/{child_id}/...`)."""
        plural = f"{self.router.prefix}{self.path}".removeprefix("/v1/")
        collection = plural.replace("-", "_")
        name = "".join(part.title() for part in collection.split("_"))

        async def listed(caller: Caller, request: Request, params: Any, **fixed: Any) -> Response:
            if fixed:
                fixed["child_id"] = (await children.get(caller.tenant, fixed["child_id"])).id
            filters = spec.values(params, **fixed)
            codec = cursor_codec(request, caller.tenant.clinic_id)
            bodies, cursor = await page(
                caller.tenant, query=params.page(), codec=codec, filters=filters
            )
            caller.audit("list", self.name, child_id=filters.get("child_id"))
            return page_response(request, bodies, cursor)

        async def top(caller: Caller, request: Request, params: Any) -> Response:
            return await listed(caller, request, params)

        async def nested(
            caller: Caller, request: Request, child_id: uuid.UUID, params: Any
        ) -> Response:
            return await listed(caller, request, params, child_id=child_id)

        reader = Annotated[Caller, require(f"{self.scope}:read")]
        routes: list[tuple[Callable[..., Awaitable[Response]], str, str, str, str, tuple[str, ...]]]
        routes = [(top, self.path, f"list_{collection}", summary, doc, ())]
        if child is not None:
            path = f"/v1/children/{{child_id}}/{plural}"
            routes.append((nested, path, f"list_child_{collection}", *child, ("child_id",)))
        for handler, path, route_name, words, description, without in routes:
            query = spec.model(f"{'Child' if without else ''}{name}ListQuery", without=without)
            handler.__annotations__.update(caller=reader, params=Annotated[query, Query()])
            self.router.add_api_route(
                path,
                handler,
                methods=["GET"],
                response_model=Page[model],  # type: ignore[valid-type]
                summary=words,
                description=description,
                name=route_name,
            )

    def add_get(self, model: type[BaseModel], doc: str | None = None) -> None:
        """`GET` one row, with its ETag (`If-None-Match`: 304)."""

        async def handler(caller: Caller, request: Request, item_id: uuid.UUID) -> Response:
            row = await self.get(caller.tenant, item_id)
            self._audit(caller, "read", row)
            return resource_response(request, row, await self.view(caller.tenant, row))

        doc = doc or f"One {self.noun or self.name}, with its ETag (`If-None-Match` → 304)."
        self._add(handler, "GET", doc, response_model=model)

    def add_patch(
        self,
        model: type[BaseModel],
        patch: type[BaseModel],
        update: Answered[RowT],
        doc: str = "",
        method: str = "PATCH",
        **options: Any,
    ) -> None:
        """`PATCH` one row with `If-Match` (or another change of it: `method`, `options`)."""

        async def handler(
            caller: Caller,
            request: Request,
            item_id: uuid.UUID,
            payload: Any,
            if_match: IfMatch = None,
            idempotency_key: ChangeKeyHeader = None,
        ) -> Response:
            async def change() -> Created:
                row = await self.get(caller.tenant, item_id, for_update=True)
                require_if_match(request, row.version)
                sent = payload
                if method == "PATCH":
                    sent = merged_payload(request, payload, await self.view(caller.tenant, row))
                client_id = caller.principal.client_id
                done = await update(caller.tenant, row=row, patch=sent, client_id=client_id)
                row, body = await self._answer(caller.tenant, done)
                return 200, body_data(body), {"ETag": etag(row.version)}

            # The same change: the same fields sent (an absent one is not a null one), as the
            # same media type (a merge patch is another change), of the same version.
            sent = {
                "body": payload.model_dump(mode="json", exclude_unset=True),
                "media_type": media_type(request),
                "if_match": if_match,
            }
            return await once_per_key(caller, request, idempotency_key, sent, change)

        handler.__annotations__.update(payload=patch)
        doc = doc or "Change the fields sent; needs `If-Match`."
        if method == "PATCH":
            # The same body as JSON Merge Patch: its objects merge (`merged_payload`).
            schema = {"schema": {"$ref": f"#/components/schemas/{patch.__name__}"}}
            body = {"requestBody": {"content": {MERGE_PATCH: schema}}}
            options.setdefault("openapi_extra", body)
            doc += MERGE_DOC
        self._add(handler, method, doc, response_model=model, **options)

    def add_delete(self, delete: Delete, doc: str = "", **options: Any) -> None:
        """`DELETE` (tombstone) one row with `If-Match`."""

        async def handler(
            caller: Caller,
            request: Request,
            item_id: uuid.UUID,
            if_match: IfMatch = None,
            idempotency_key: ChangeKeyHeader = None,
        ) -> Response:
            async def tombstone() -> Created:
                row = await self.get(caller.tenant, item_id, for_update=True)
                require_if_match(request, row.version)
                await delete(caller.tenant, row=row, client_id=caller.principal.client_id)
                return 204, {}, {}

            sent = {"if_match": if_match}
            return await once_per_key(caller, request, idempotency_key, sent, tombstone)

        noun = _a(self.noun or self.name)
        doc = doc or f"Tombstone {noun} (it stays in `updated_since` feeds); needs `If-Match`."
        self._add(handler, "DELETE", doc, status_code=204, **options)

    def add_versions(self, doc: str = "") -> None:
        """`GET` one row's version history, a page at a time."""

        async def handler(
            caller: Caller,
            request: Request,
            item_id: uuid.UUID,
            limit: Limit = DEFAULT_PAGE_SIZE,
            cursor: Cursor = None,
        ) -> JSONResponse:
            row = await self.get(caller.tenant, item_id)
            codec = cursor_codec(request, caller.tenant.clinic_id)
            bodies, next_cursor = await history.list_versions(
                caller.tenant, self.name, row.id, limit, cursor, codec
            )
            self._audit(caller, "read", row)
            return page_response(request, bodies, next_cursor)

        noun = self.noun or self.name
        doc = doc or f"Every version of the {noun}, oldest first, a page at a time."
        options = {"response_model": Page[VersionPublic], "summary": "Version history"}
        self._add(
            handler,
            "GET",
            doc,
            path=self.item + "/versions",
            name=f"{self.name}_versions",
            **options,
        )

    def add_item(
        self,
        model: type[BaseModel],
        patch: type[BaseModel],
        update: Answered[RowT],
        delete: Delete,
        /,
        **docs: str,
    ) -> None:
        """GET, PATCH, DELETE and the version history (`docs`: their own descriptions)."""
        self.add_get(model, docs.get("get"))
        self.add_patch(model, patch, update, docs.get("patch", ""))
        self.add_delete(delete, docs.get("delete", ""))
        self.add_versions(docs.get("versions", ""))
