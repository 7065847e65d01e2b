"""FHIR's JSON media type and a response that carries it."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from starlette.responses import Response

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
# FHIR's `_format` values for JSON (anything else, XML or Turtle, is not served: 400) and
# `_pretty`.
Format = Literal["json", "application/json", "application/fhir+json"]
Pretty = Literal["true", "false"]


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
