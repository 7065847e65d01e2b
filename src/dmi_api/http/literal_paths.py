"""A literal path is not a row's id: `PATCH /v1/children/search` is a 405, not a PATCH of the
child `search`.

Starlette takes the first route that matches a request's path and method, so a method that
`/v1/children/search` (POST) does not serve reaches `/v1/children/{child_id}`'s (GET, PATCH,
DELETE), which answers for a child named `search` (a 422 for its id, a 400 for its If-Match).
`refuse_other_methods` puts, before the first such route, one that answers those methods 405
(its `Allow` from the contract: `handlers.allowed_methods`).
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Route


async def _not_allowed(_request: Request) -> None:
    raise HTTPException(status_code=405)


def refuse_other_methods(routers: Sequence[APIRouter]) -> None:
    """Every documented literal path answers 405 to the methods only a path with a parameter
    would take (the routers' routes in the order the app tries them, before it includes them)."""
    documented = [
        (router, route, route.methods or set())
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
    ]
    served: dict[str, set[str]] = {}
    for _, route, methods in documented:
        if "{" not in route.path:
            served.setdefault(route.path, set()).update(methods)
    for path, methods in served.items():
        claiming = [
            (router, route, others)
            for router, route, others in documented
            if "{" in route.path and route.path_regex.match(path) and others - methods
        ]
        if not claiming:
            continue
        refused = {m for _, _, others in claiming for m in others} - methods - {"HEAD"}
        router, first, _ = claiming[0]
        if any(_guards(route, path) for route in router.routes):
            continue  # the routers are the modules' own: an app made before put it there
        guard = Route(path, _not_allowed, methods=sorted(refused), include_in_schema=False)
        router.routes.insert(router.routes.index(first), guard)


def _guards(route: BaseRoute, path: str) -> bool:
    return isinstance(route, Route) and route.endpoint is _not_allowed and route.path == path
