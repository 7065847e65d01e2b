"""FHIR's JSON media type and a response that carries it."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from starlette.responses import Response

from dmi_api.errors import NotAcceptableError

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
# FHIR's `_format` values for JSON (anything else, XML or Turtle, is not served: 400) and
# `_pretty`.
Format = Literal["json", "application/json", "application/fhir+json"]
Pretty = Literal["true", "false"]
# The media ranges of an Accept header a FHIR JSON body satisfies (`application/json+fhir` is
# the name DSTU2 clients still send).
_JSON_RANGES = frozenset(
    {"*/*", "application/*", "application/json", FHIR_JSON, "application/json+fhir"}
)


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 1.0
    return 1.0


def require_json(accept: str | None, format_given: bool) -> None:
    """406 when the Accept header takes no JSON (only XML, say); `_format` given overrides the
    header, as FHIR says, and no header takes anything."""
    if format_given or not accept:
        return
    for media_range in accept.split(","):
        kind, *params = media_range.split(";")
        if kind.strip().lower() in _JSON_RANGES and _quality(params) > 0:
            return
    raise NotAcceptableError("Only application/fhir+json is served (or ask with _format=json).")


class FhirResponse(Response):
    """A FHIR resource as `application/fhir+json`, indented when `_pretty=true` asked."""

    media_type = FHIR_JSON
    pretty = False

    def render(self, content: Any) -> bytes:
        """The resource as JSON."""
        return orjson.dumps(content, option=orjson.OPT_INDENT_2 if self.pretty else 0)


def fhir_response(
    content: Any, *, pretty: Pretty | None = None, headers: dict[str, str] | None = None
) -> FhirResponse:
    """The response of a FHIR interaction (`pretty`: its `_pretty` parameter)."""
    response_class = PrettyFhirResponse if pretty == "true" else FhirResponse
    return response_class(content, headers=headers)


class PrettyFhirResponse(FhirResponse):
    """`_pretty=true`: indented."""

    pretty = True
