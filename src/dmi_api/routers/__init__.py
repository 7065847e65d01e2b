"""HTTP routers, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from dmi_api.http.problems import problem_responses
from dmi_api.http.routing import DmiRoute


def make_router(*, tag: str, prefix: str = "", errors: tuple[int, ...] = ()) -> APIRouter:
    """A router with the project's route class and documented problem responses."""
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        route_class=DmiRoute,
        responses=problem_responses(*errors) if errors else None,
    )
