"""The links of a FHIR search by POST, sealed: `{type}?_page=<token>` instead of the parameters.

`POST /fhir/R4/{type}/_search` keeps its parameters (an MRN, dates) out of the URL, which
proxies, access logs and browser histories record; its Bundle's `self` and `next` links are
URLs a client GETs, so they carry the search as a page token: the parameters encrypted
(AES-GCM, the cursors' key: `pagination.CursorCodec`) and bound to the type's path. Following
one, `FhirPageMiddleware` puts the parameters back in the request's query before routing, and
the search's links are sealed again. A next page's token holds the clinic's own `_cursor`: for
any other clinic it is an invalid cursor.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dmi_api.errors import FieldProblem, ValidationProblemError
from dmi_api.http.handlers import render_problem
from dmi_api.pagination import CursorCodec

PAGE = "_page"
_SEALED = "fhir_sealed_links"
_PREFIX = "/fhir/R4/"


def _context(path: str) -> str:
    return f"fhir-page|{path}"


def seal_links(request: Request) -> None:
    """The search this request makes answers with sealed links (a search by POST)."""
    request.scope.setdefault("state", {})[_SEALED] = True


def sealed_query(request: Request, path: str, params: list[tuple[str, str]]) -> str | None:
    """The query of a link to the search at `path` with these parameters (`_page=<token>`) when
    the request's links are sealed; None when they name the parameters."""
    if not request.scope.get("state", {}).get(_SEALED):
        return None
    codec: CursorCodec = request.app.state.cursor_codec
    return urlencode([(PAGE, codec.encode([urlencode(params)], context=_context(path)))])


def _invalid_page() -> ValidationProblemError:
    detail = "The page token is invalid or belongs to another search; search again."
    return ValidationProblemError([FieldProblem(f"#/{PAGE}", detail, "cursor_invalid", "query")])


def _opened(codec: CursorCodec, path: str, tokens: list[str]) -> str:
    if len(tokens) != 1:
        raise _invalid_page()
    try:
        [query] = codec.decode(tokens[0], context=_context(path))
    except (ValidationProblemError, ValueError):
        raise _invalid_page() from None
    if not isinstance(query, str):
        raise _invalid_page()
    return query


class FhirPageMiddleware:
    """A `GET /fhir/R4/{type}?_page=<token>`: the token's parameters in the query (with any
    others the request adds, as `_format`), and the answer's links sealed again."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass everything through but a search that names a page token."""
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if b"_page=" not in query or not str(scope["path"]).startswith(_PREFIX):
            await self.app(scope, receive, send)
            return
        params = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        tokens = [value for name, value in params if name == PAGE]
        if not tokens:
            await self.app(scope, receive, send)
            return
        try:
            opened = _opened(scope["app"].state.cursor_codec, scope["path"], tokens)
        except ValidationProblemError as problem:
            await render_problem(problem)(scope, receive, send)
            return
        rest = urlencode([(name, value) for name, value in params if name != PAGE])
        scope = {**scope, "query_string": "&".join(q for q in (opened, rest) if q).encode()}
        scope.setdefault("state", {})[_SEALED] = True
        await self.app(scope, receive, send)
