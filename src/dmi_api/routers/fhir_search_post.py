"""`POST /fhir/R4/{type}/_search` (FHIR http.html, "search": a server searching with GET SHALL
also search with POST): the form's parameters and the URL's, answered by the GET search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from dmi_api.errors import UnsupportedMediaTypeError
from dmi_api.http.fhir_pages import seal_links
from dmi_api.http.routing import FhirRoute

FORM = "application/x-www-form-urlencoded"


class SearchByPostRoute(FhirRoute):
    """The route of `POST /{type}/_search`: its endpoint takes the request as it is, since the
    GET search it hands the parameters to checks them all (unknown ones refused as there)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No `fast_params` plan: the handler is the endpoint itself (`get_route_handler`).
        self.fast_handler = None

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The endpoint itself, given the request."""
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            response: Response = await endpoint(request)
            return response

        return handle


def post_search_handler(search_route: APIRoute) -> Callable[..., Awaitable[Response]]:
    """`POST /{type}/_search` (FHIR http.html, "search": a server searching with GET SHALL
    also search with POST): the form's parameters and the URL's, searched as `GET /{type}?…`
    by the GET route itself (the same parameters, checks, scopes, audit and links)."""
    found: list[Callable[[Request], Awaitable[Response]]] = []

    async def search_by_post(request: Request) -> Response:
        body = await request.body()
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if body and media != FORM:
            raise UnsupportedMediaTypeError(f"A search by POST takes {FORM} parameters.")
        query = b"&".join(part for part in (request.scope["query_string"], body) if part)
        seal_links(request)  # its parameters stay out of the links a client GETs
        path = request.scope["path"].removesuffix("/_search")
        scope = {
            **request.scope,
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
        }
        if not found:
            found.append(search_route.get_route_handler())
        return await found[0](Request(scope, request.receive))

    return search_by_post
