"""The OpenAPI document's response headers (ETag, Location, Link) and links between operations.

Documented from the operations' own shapes, so a new resource is described like the others:
a body with a `version` is a versioned resource (ETag; 304 on GET), a 201 has a
`Location`, a page has a `Link`; a create links to every operation on the row it made.
"""

from __future__ import annotations

import re
from typing import Any

_REF_PREFIX = "#/components/schemas/"
_ID_SEGMENT = re.compile(r"^\{([a-z_]+)\}$")

_ETAG = {
    "description": "strong tag of the version, for `If-Match` and `If-None-Match`",
    "required": True,
    "schema": {"type": "string", "pattern": r'^"[0-9]+"$'},
}
_LOCATION = {
    "description": "path of the resource created",
    "required": True,
    "schema": {"type": "string", "pattern": "^/v1/"},
}
_LINK = {
    "description": 'RFC 8288 `<...>; rel="next"` when `next_cursor` is not null',
    "required": False,
    "schema": {"type": "string"},
}


def _component(schema: dict[str, Any], ref: object) -> dict[str, Any]:
    if not isinstance(ref, str) or not ref.startswith(_REF_PREFIX):
        return {}
    found: dict[str, Any] = schema["components"]["schemas"].get(ref[len(_REF_PREFIX) :], {})
    return found


def _body_schema(schema: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """The response body's object schema; for a union (`oneOf`), the properties all share."""
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    body = _component(schema, ref)
    if "oneOf" not in body:
        return body
    members = [_component(schema, member.get("$ref")) for member in body["oneOf"]]
    shared = set.intersection(*(set(m.get("properties", {})) for m in members))
    return {"properties": {name: members[0]["properties"][name] for name in sorted(shared)}}


def _document_headers(schema: dict[str, Any], method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.get("responses", {})
    for status in ("200", "201"):
        response = responses.get(status)
        if response is None:
            continue
        properties = _body_schema(schema, response).get("properties", {})
        headers = response.setdefault("headers", {})
        if "version" in properties:
            headers["ETag"] = _ETAG
            if method == "get":
                responses["304"] = {
                    "description": "Not Modified: `If-None-Match` names the current version",
                    "headers": {"ETag": _ETAG},
                }
        if {"data", "next_cursor"} <= properties.keys():
            headers["Link"] = _LINK
        if status == "201":
            headers["Location"] = _LOCATION
        if not headers:
            del response["headers"]


def _link_creates(schema: dict[str, Any], paths: dict[str, Any]) -> None:
    """`POST /v1/x` → every operation on `/v1/x/{x_id}...`, with the new row's id and ETag."""
    for path, item in paths.items():
        create = item.get("post")
        if create is None or "201" not in create.get("responses", {}):
            continue
        created = _body_schema(schema, create["responses"]["201"]).get("properties", {})
        links: dict[str, Any] = {}
        for target_path, target_item in paths.items():
            if not target_path.startswith(path + "/"):
                continue
            rest = target_path[len(path) + 1 :].split("/")
            match = _ID_SEGMENT.match(rest[0])
            if match is None:
                continue
            for target in target_item.values():
                name = match.group(1)
                field = name if name in created else "id"
                parameters: dict[str, str] = {name: f"$response.body#/{field}"}
                header_names = {
                    p["name"] for p in target.get("parameters", []) if p.get("in") == "header"
                }
                if "If-Match" in header_names:
                    parameters["header.If-Match"] = "$response.header.ETag"
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": parameters,
                }
        if links:
            create["responses"]["201"]["links"] = links


def document_headers_and_links(schema: dict[str, Any]) -> None:
    """Add the response headers and the links to a generated schema, in place."""
    paths: dict[str, Any] = schema.get("paths", {})
    for path, item in paths.items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            _document_headers(schema, method, operation)
    _link_creates(schema, {p: i for p, i in paths.items() if p.startswith("/v1/")})
