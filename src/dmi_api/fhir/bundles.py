"""Search results as a FHIR `searchset` Bundle, paged by the API's own cursor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode


def search_url(base: str, resource_type: str, params: list[tuple[str, str]]) -> str:
    """The URL of a search with these parameters."""
    query = urlencode(params)
    return f"{base}/{resource_type}" + (f"?{query}" if query else "")


Link = Callable[[list[tuple[str, str]]], str]


def searchset(
    base: str,
    resources: list[dict[str, Any]],
    *,
    link: Link,
    self_url: str,
    params: list[tuple[str, str]],
    next_cursor: str | None,
) -> dict[str, Any]:
    """The Bundle of one page: `link.next` repeats the search (`params`, the parameters it
    used) with the next page's cursor, as `link` writes a search's URL."""
    links = [{"relation": "self", "url": self_url}]
    if next_cursor is not None:
        kept = [(name, value) for name, value in params if name != "_cursor"]
        links.append({"relation": "next", "url": link([*kept, ("_cursor", next_cursor)])})
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


def counted(self_url: str, total: int) -> dict[str, Any]:
    """The Bundle of `_summary=count`: the number of matches, no entries."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": "self", "url": self_url}],
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
