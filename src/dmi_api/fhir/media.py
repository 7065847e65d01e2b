"""FHIR's JSON media type and a response that carries it."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"


class FhirResponse(Response):
    """A FHIR resource as `application/fhir+json`."""

    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        """The resource as compact JSON."""
        return orjson.dumps(content)
