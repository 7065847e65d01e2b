"""Search results as a FHIR `searchset` Bundle, paged by the API's own cursor."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode


def searchset(
    base: str,
    resource_type: str,
    resources: list[dict[str, Any]],
    *,
    self_url: str,
    params: list[tuple[str, str]],
    next_cursor: str | None,
) -> dict[str, Any]:
    """The Bundle of one page: `link.next` repeats the search with the next page's cursor."""
    links = [{"relation": "self", "url": self_url}]
    if next_cursor is not None:
        kept = [(name, value) for name, value in params if name != "_cursor"]
        query = urlencode([*kept, ("_cursor", next_cursor)])
        links.append({"relation": "next", "url": f"{base}/{resource_type}?{query}"})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }


def deletion_bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """What a bulk export's `deleted` file says of resources: a transaction Bundle of DELETEs."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"request": {"method": "DELETE", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in resources
        ],
    }
