"""A route's arguments without FastAPI's general dependency solver, for the simplest routes.

FastAPI walks each route's dependency tree on every request and visits every query field
through generic helpers; for a child list that walk was a fifth of the request's CPU. A route
that takes only the request, path parameters, one query model and the bearer-token dependency
(`authenticate_token`, read from the Authorization header) can be served in one pass instead:
`plan(dependant)` recognises such a route once, when the route is built, and returns a function
that calls the endpoint with the same arguments, or raises the same errors, as FastAPI would:
the token first (FastAPI solves sub-dependencies before parameters), then every parameter
error at once as a `RequestValidationError`. Any other route, and any route whose endpoint may
return something else than a `Response`, keeps FastAPI's solver. The route still declares its
parameters as usual, so the OpenAPI document is unchanged; tests/records/test_fast_params.py proves
both ways answer alike.
"""

from __future__ import annotations

import inspect
from collections import abc
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, get_args, get_origin, get_type_hints

from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.security import SecurityScopes
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
TokenDependency = Callable[..., Awaitable[Any]]


def _query_model(dependant: Dependant) -> tuple[Any, type[BaseModel]] | bool | None:
    """The one query-model field (False: the query parameters are not one model)."""
    if not dependant.query_params:
        return None
    if len(dependant.query_params) != 1:
        return False
    field = dependant.query_params[0]
    model = field.field_info.annotation
    if not (
        isinstance(field.field_info, params.Query)
        and inspect.isclass(model)
        and issubclass(model, BaseModel)
        # FastAPI hands unknown names to a model that allows or forbids extras.
        and model.model_config.get("extra") in (None, "ignore")
        and all(
            # A plain alias (`from`) is read and validated by that name, as FastAPI does.
            (info.validation_alias is None or info.validation_alias == info.alias)
            # FastAPI reads a sequence field from every repetition of its name.
            and not is_collection(info.annotation)
            for name, info in model.model_fields.items()
        )
    ):
        return False
    return field, model


def is_collection(annotation: Any) -> bool:
    """Whether a parameter of this type is read from every repetition of its name."""
    origin = get_origin(annotation)
    if inspect.isclass(origin) and issubclass(origin, abc.Collection) and origin is not str:
        return True
    return any(is_collection(arg) for arg in get_args(annotation))


def _token(dependant: Dependant, token: TokenDependency) -> tuple[str, list[str]] | bool | None:
    """(argument name, scopes) of the token dependency (False: other dependencies)."""
    if not dependant.dependencies:
        return None
    if len(dependant.dependencies) != 1:
        return False
    sub = dependant.dependencies[0]
    if sub.call is not token or sub.name is None:
        return False
    if not hasattr(sub, "own_oauth_scopes"):  # another FastAPI's Dependant: let it solve
        return False
    scopes = list(getattr(sub, "parent_oauth_scopes", None) or [])
    scopes += [scope for scope in sub.own_oauth_scopes or [] if scope not in scopes]
    return sub.name, scopes


def _returns_response(endpoint: Callable[..., Any]) -> bool:
    try:
        returned = get_type_hints(endpoint).get("return")
    except (NameError, TypeError):
        return False
    return inspect.isclass(returned) and issubclass(returned, Response)


def plan(dependant: Dependant, token: TokenDependency) -> Handler | None:
    """A handler calling the endpoint with its arguments, or None: leave it to FastAPI."""
    endpoint = dependant.call
    if (
        endpoint is None
        or not inspect.iscoroutinefunction(endpoint)
        or not _returns_response(endpoint)
        or any(
            getattr(dependant, name, None)
            for name in (
                "header_params",
                "cookie_params",
                "body_params",
                "websocket_param_name",
                "http_connection_param_name",
                "response_param_name",
                "background_tasks_param_name",
                "security_scopes_param_name",
            )
        )
    ):
        return None
    query = _query_model(dependant)
    auth = _token(dependant, token)
    if query is False or auth is False:
        return None
    path_fields = list(dependant.path_params)
    names = (
        [info.alias or name for name, info in query[1].model_fields.items()]
        if isinstance(query, tuple)
        else []
    )
    request_name = dependant.request_param_name

    async def handle(request: Request) -> Response:
        values: dict[str, Any] = {}
        if isinstance(auth, tuple):
            name, scopes = auth
            authorization = request.headers.get("Authorization") or None
            values[name] = await token(
                security_scopes=SecurityScopes(scopes=scopes),
                request=request,
                authorization=authorization,
            )
        errors: list[Any] = []
        for field in path_fields:
            value, field_errors = field.validate(
                request.path_params.get(field.alias), {}, loc=("path", field.alias)
            )
            errors.extend(field_errors)
            values[field.name] = value
        if isinstance(query, tuple):
            field = query[0]
            received = request.query_params
            given = {name: received[name] for name in names if name in received}
            value, field_errors = field.validate(given, {}, loc=("query",))
            errors.extend(field_errors)
            values[field.name] = value
        if errors:
            raise RequestValidationError(errors)
        if request_name is not None:
            values[request_name] = request
        response: Response = await endpoint(**values)
        return response

    return handle
