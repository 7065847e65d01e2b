"""The OpenAPI document: every error response is documented as a problem document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from dmi_api.http.openapi_links import document_headers_and_links
from dmi_api.http.openapi_responses import document_error_responses
from dmi_api.http.problems import PROBLEM_MEDIA_TYPE

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# FastAPI's own validation-error schemas describe a body this API never sends.
_UNUSED_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _is_generic_error(response: dict[str, Any]) -> bool:
    """True unless the operation documents an error body of its own (OAuth's RFC 6749 errors)."""
    refs = {
        media.get("schema", {}).get("$ref", "") for media in response.get("content", {}).values()
    }
    return all(not ref or ref.endswith(("/Problem", "/HTTPValidationError")) for ref in refs)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """Generate the schema once, with error responses rewritten to `application/problem+json`."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        servers=app.servers,
    )
    document_headers_and_links(schema)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            # FastAPI's own 422 describes a body this API never sends; the derived one replaces it.
            responses = operation.get("responses", {})
            if "/HTTPValidationError" in str(responses.get("422", {})):
                del responses["422"]
    document_error_responses(app, schema)
    for path, path_item in schema.get("paths", {}).items():
        if path.startswith("/fhir/"):
            continue  # OperationOutcomes (`document_error_responses`)
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                if status[:1] in ("4", "5") and _is_generic_error(response):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
    components = schema.get("components", {}).get("schemas", {})
    for name in _UNUSED_SCHEMAS:
        components.pop(name, None)
    app.openapi_schema = schema
    return schema


def install_openapi(app: FastAPI) -> None:
    """Replace the app's schema generator."""

    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]
