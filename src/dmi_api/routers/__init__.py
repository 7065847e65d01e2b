"""HTTP routers, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from dmi_api.http.routing import DmiRoute, FhirRoute, LenientQueryRoute


def make_router(
    *, tag: str, prefix: str = "", lenient_query: bool = False, fhir: bool = False
) -> APIRouter:
    """A router with the project's route class: its routes refuse unknown query parameters
    unless `lenient_query` (see `LenientQueryRoute`), or (`fhir`) the request prefers
    `handling=lenient` (see `FhirRoute`)."""
    route_class = LenientQueryRoute if lenient_query else FhirRoute if fhir else DmiRoute
    return APIRouter(prefix=prefix, tags=[tag], route_class=route_class)
