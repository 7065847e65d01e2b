"""`POST /v1/children/{child_id}/<collection>`: creating a child's row through its collection.

One builder for every collection a child has a list of: the same body as the top-level POST
with `child_id` optional (the path names the child; a body naming another child is 422 at
`#/child_id`), a 404 for a child that is not the clinic's live one (the same as for no child),
then exactly the top-level POST's creation: validation, audit, `Location`, `ETag`, 201, and
its store where the collection has one (`dmi_api.stores`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from dmi_api.auth.dependencies import Caller, caller_session, require_token
from dmi_api.auth.principal import Principal
from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.routers.resource_support import IdempotencyKeyHeader
from dmi_api.services import children
from dmi_api.stores.idempotent import Created, idempotent_create

CreateT = TypeVar("CreateT", bound=BaseModel)
# A creation served by a store: (request, principal, body with the child, Idempotency-Key).
Served = Callable[[Request, Principal, Any, str | None], Awaitable[Response]]
CHILD_ID_DOC = (
    "Optional: the child is the one in the path. Another child's id is 422 (`child_id_mismatch`)."
)


def child_body(model: type[CreateT]) -> type[CreateT]:
    """The top-level POST's body with `child_id` optional, its examples without it."""
    namespace: dict[str, Any] = {
        "__module__": model.__module__,
        "__doc__": f"{model.__doc__} The child is the one in the path.",
        "__annotations__": {"child_id": uuid.UUID | None},
        "child_id": Field(default=None, description=CHILD_ID_DOC),
    }
    extra: Any = model.model_config.get("json_schema_extra")
    if isinstance(extra, dict) and isinstance(extra.get("examples"), list):
        examples: list[Any] = [
            {k: v for k, v in example.items() if k != "child_id"}
            for example in extra["examples"]
            if isinstance(example, dict)
        ]
        namespace["model_config"] = ConfigDict(json_schema_extra={**extra, "examples": examples})
    return cast(type[CreateT], type(f"{model.__name__}InChild", (model,), namespace))


def with_child(payload: CreateT, child_id: uuid.UUID) -> CreateT:
    """The body as the top-level POST takes it: the path's child, or 422 if it names another."""
    named = getattr(payload, "child_id", None)
    if named is not None and named != child_id:
        detail = "The body names another child than the path; leave child_id out."
        raise ValidationProblemError([FieldProblem("#/child_id", detail, "child_id_mismatch")])
    return payload.model_copy(update={"child_id": child_id})


def add_child_create(
    router: APIRouter,
    *,
    collection: str,
    body: type[CreateT],
    response_model: type[BaseModel],
    scope: str,
    summary: str,
    create: Callable[[Caller, CreateT], Awaitable[Created]] | None = None,
    served: Served | None = None,
) -> None:
    """Add `POST /v1/children/{child_id}/<collection>`, creating as `POST /v1/<collection>` does:
    with `create` on the session path, or through the collection's store (`served`)."""
    top_level = f"/v1/{collection}"

    async def create_for_child(
        principal: Principal,
        request: Request,
        child_id: uuid.UUID,
        payload: Any,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response:
        """Create for the child in the path as the top-level POST does."""
        full = with_child(payload, child_id)
        if served is not None:
            return await served(request, principal, full, idempotency_key)
        assert create is not None, "a child create needs `create` or `served`"
        async with caller_session(request, principal) as caller:
            await children.get(caller.tenant, child_id)

            async def run() -> Created:
                return await create(caller, full)

            # Fingerprinted as the top-level POST: one key, one creation, whichever URL.
            return await idempotent_create(
                caller, request, idempotency_key, full, run, route=top_level
            )

    # FastAPI reads these two as objects: the scope and the body are the collection's own.
    create_for_child.__annotations__.update(
        principal=Annotated[Principal, require_token(scope)], payload=child_body(body)
    )
    router.add_api_route(
        f"/v1/children/{{child_id}}/{collection}",
        create_for_child,
        methods=["POST"],
        status_code=201,
        response_model=response_model,
        summary=summary,
        description=(
            f"Create as `POST {top_level}` does, for the child in the path (404 if it is not a "
            "live child of the clinic); `child_id` may be left out of the body. An "
            "`Idempotency-Key` is shared with the top-level POST: the same key and body there "
            "replay this response."
        ),
        name=f"create_child_{collection.replace('-', '_')}",
    )
