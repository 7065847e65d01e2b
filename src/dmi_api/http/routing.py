"""The route class of every router: media-type and storable-text checks before FastAPI parses."""

from __future__ import annotations

import email.message
import inspect
import json
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from dmi_api.auth.dependencies import authenticate_token
from dmi_api.errors import (
    FieldProblem,
    UnsupportedMediaTypeError,
    ValidationProblemError,
    json_pointer,
)
from dmi_api.http import fast_params
from dmi_api.http.conditional import read_if_match
from dmi_api.text import is_storable_text

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_NUL_DETAIL = "Text must not contain NUL characters or unpaired surrogates."


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = email.message.Message()
    message["content-type"] = content_type
    return message.get_content_type()


def _is_json(media_type: str) -> bool:
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unstorable_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        if not is_storable_text(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if not is_storable_text(key):
                yield (*path, key)
            yield from _unstorable_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable_paths(item, (*path, index))


class _Repeated(dict[str, Any]):
    """A JSON object that names a member more than once (`names`; the last value kept)."""

    names: tuple[str, ...] = ()


def _object_of(repeated: list[_Repeated]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """A JSON object's parse that keeps each object naming a member twice in `repeated`."""

    def parse(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        members = dict(pairs)
        if len(members) == len(pairs):
            return members
        names = [name for name, _ in pairs]
        marked = _Repeated(members)
        marked.names = tuple(dict.fromkeys(n for i, n in enumerate(names) if n in names[:i]))
        repeated.append(marked)
        return marked

    return parse


def _repeated_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, _Repeated):
        yield from ((*path, name) for name in value.names)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _repeated_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _repeated_paths(item, (*path, index))


def _repeated_error(path: tuple[Any, ...]) -> FieldProblem:
    detail = "This member is named more than once in its object; send it once."
    return FieldProblem(json_pointer(list(path)), detail, "duplicate_member", "body")


def _field_error(location: str, path: tuple[Any, ...]) -> FieldProblem:
    return FieldProblem(json_pointer(list(path)), _NUL_DETAIL, "string_unstorable", location)


def _query_fields(dependant: Dependant) -> Iterator[tuple[str, Any]]:
    """Each query parameter a route reads, through its dependencies and query models: its name
    and its type."""
    for field in dependant.query_params:
        model = field.field_info.annotation
        if inspect.isclass(model) and issubclass(model, BaseModel):
            for name, info in model.model_fields.items():
                alias = info.validation_alias if isinstance(info.validation_alias, str) else None
                yield alias or info.alias or name, info.annotation
        else:
            yield field.alias, model
    for sub in dependant.dependencies:
        yield from _query_fields(sub)


def declared_query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameter names a route reads, through its dependencies and query models."""
    return frozenset(name for name, _ in _query_fields(dependant))


def repeatable_query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameter names a route reads as lists (each repetition one value)."""
    return frozenset(
        name for name, kind in _query_fields(dependant) if fast_params.is_collection(kind)
    )


def declared_header_names(dependant: Dependant) -> frozenset[str]:
    """The header names a route declares (as declared), through its dependencies."""
    names = {field.alias for field in dependant.header_params}
    for sub in dependant.dependencies:
        names |= declared_header_names(sub)
    return frozenset(names)


def prefers_lenient(values: list[str]) -> bool:
    """Whether the `Prefer` header fields ask for `handling=lenient` (RFC 7240 §4.4)."""
    for value in values:
        for preference in value.split(","):
            name, _, token = preference.split(";", 1)[0].partition("=")
            if name.strip().lower() == "handling" and token.strip().strip('"').lower() == "lenient":
                return True
    return False


class DmiRoute(APIRoute):
    """An APIRoute that answers 415 for a body of the wrong media type, 422 for NUL text,
    422 for a query parameter the operation does not take (as bodies refuse unknown fields:
    a misspelt filter must not silently widen a list) and 400 for a malformed `If-Match`."""

    fast_handler: fast_params.Handler | None = None
    refuses_unknown_query: bool = True
    # Whether `Prefer: handling=lenient` has unknown query parameters ignored (FHIR's).
    lenient_when_preferred: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The simplest routes skip FastAPI's general dependency solver (`fast_params`), planned
        # once per route: FastAPI asks for the handler again when it builds an included
        # router's routes (at the first request), and a test or benchmark that set
        # `fast_handler` to None to compare with FastAPI's own must not be overruled then.
        self.fast_handler = fast_params.plan(self.dependant, authenticate_token)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler with the edge checks."""
        handler = super().get_route_handler()
        expects_form = self.body_field is not None and isinstance(
            self.body_field.field_info, params.Form
        )
        expects_body = self.body_field is not None
        known = declared_query_names(self.dependant) if self.refuses_unknown_query else None
        single = known - repeatable_query_names(self.dependant) if known else frozenset()
        headers = declared_header_names(self.dependant)
        takes_if_match = "if-match" in {name.lower() for name in headers}
        if takes_if_match:
            # Its syntax is checked here, before anything is looked up: a 400 of its own.
            self.responses = {**self.responses, 400: {"description": "Malformed If-Match"}}

        async def guarded(request: Request) -> Response:
            refused = known
            lenient = self.lenient_when_preferred and prefers_lenient(
                request.headers.getlist("prefer")
            )
            if known is not None and lenient:
                refused = None
                ignored = {name for name in request.query_params if name not in known}
                request.state.ignored_query = frozenset(ignored)
            await self._check_parameters(request, refused, headers, single)
            if takes_if_match:
                read_if_match(request)
            if request.method in _BODY_METHODS:
                # Reading here first lets the body limit raise its own 413 (FastAPI would turn
                # any error while reading into a 400) and caches the bytes for FastAPI.
                body = await request.body()
                if body and expects_body:
                    await self._check_body(request, body, expects_form=expects_form)
            return await (self.fast_handler or handler)(request)

        return guarded

    @staticmethod
    async def _check_parameters(
        request: Request,
        known: frozenset[str] | None,
        headers: frozenset[str],
        single: frozenset[str],
    ) -> None:
        # Declared headers are stored too (Idempotency-Key): the same rule as parameters.
        declared = [
            (name, value) for name in headers if (value := request.headers.get(name)) is not None
        ]
        errors = [
            _field_error(location, (name,))
            for location, items in (
                ("query", request.query_params.multi_items()),
                ("path", list(request.path_params.items())),
                ("header", declared),
            )
            for name, value in items
            if not (is_storable_text(str(name)) and is_storable_text(str(value)))
        ]
        if known is not None:
            detail = "This operation has no such query parameter."
            errors += [
                FieldProblem(json_pointer([name]), detail, "unknown_parameter", "query")
                for name in dict.fromkeys(request.query_params)
                if name not in known and is_storable_text(name)
            ]
            # One value is read of a single-valued parameter: the last, silently, were it sent
            # twice (`child_id=A&child_id=B` would list B's rows alone).
            detail = "This parameter takes one value; it was sent more than once."
            errors += [
                FieldProblem(json_pointer([name]), detail, "repeated_parameter", "query")
                for name in dict.fromkeys(request.query_params)
                if name in single and len(request.query_params.getlist(name)) > 1
            ]
        if errors:
            raise ValidationProblemError(errors)

    @staticmethod
    async def _check_body(request: Request, body: bytes, *, expects_form: bool) -> None:
        media_type = _media_type(request.headers.get("content-type"))
        if expects_form:
            if media_type not in _FORM_TYPES:
                raise UnsupportedMediaTypeError(
                    "This operation accepts application/x-www-form-urlencoded bodies."
                )
            return
        if media_type is None or not _is_json(media_type):
            raise UnsupportedMediaTypeError("This operation accepts application/json bodies.")
        # A NUL byte is never in UTF-8 JSON and always in UTF-16 or UTF-32 JSON, which the
        # parser would detect and read (escaped NULs and all: the walk below looks for `\u`).
        if b"\x00" in body or not _is_utf8(body):
            detail = "The body is not valid UTF-8 JSON."
            raise ValidationProblemError([FieldProblem("#", detail, "json_invalid")])
        repeated: list[_Repeated] = []
        try:
            document = json.loads(body, object_pairs_hook=_object_of(repeated))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return  # FastAPI reports malformed JSON itself, as a 422 pointing at the body.
        except RecursionError:
            return  # Nested too deep to parse: FastAPI's 400.
        # Parsed once: FastAPI reads the document Starlette keeps (`Request.json`).
        request._json = document
        errors = [_repeated_error(path) for path in _repeated_paths(document)] if repeated else []
        # In valid JSON, NUL and surrogates can only appear escaped, so most bodies skip the walk.
        if b"\\u" in body:
            errors += [_field_error("body", path) for path in _unstorable_paths(document)]
        if errors:
            raise ValidationProblemError(errors)


class LenientQueryRoute(DmiRoute):
    """A DmiRoute that ignores query parameters it does not take: the OAuth endpoints, which
    RFC 6749 §3.2 tells to ignore unrecognised parameters, and the probes and discovery
    documents, which load balancers and monitors may call with cache-busting parameters."""

    refuses_unknown_query = False


class FhirRoute(DmiRoute):
    """A DmiRoute that ignores the query parameters it does not take when the request says
    `Prefer: handling=lenient` (FHIR search, "Handling Errors"; the Bulk Data kick-off alike):
    they are named in `request.state.ignored_query`, for the links of a searchset. Without
    it, they are refused as everywhere (`handling=strict`)."""

    lenient_when_preferred = True


def ignored_query(request: Request) -> frozenset[str]:
    """The query parameter names a lenient request had ignored (`FhirRoute`)."""
    ignored: frozenset[str] = getattr(request.state, "ignored_query", frozenset())
    return ignored
