"""What a request costs against its client's quota: a read 1, a write 5, more for the heavy ones.

The weights are the API's contract (README: "Rate limits"); a route not named here costs by
its method.
"""

from __future__ import annotations

READ = 1
WRITE = 5
BATCH_UPLOAD = 50
EXPORT_KICKOFF = 100

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# (method, route template) → cost, for the routes that cost more than their method says.
HEAVY_ROUTES: dict[tuple[str, str], int] = {
    ("POST", "/v1/session-records/batch"): BATCH_UPLOAD,
    ("POST", "/v1/exports"): EXPORT_KICKOFF,
    ("GET", "/fhir/R4/$export"): EXPORT_KICKOFF,
    ("GET", "/fhir/R4/Patient/$export"): EXPORT_KICKOFF,
}


# A search by POST (`/v1/children/search`, FHIR's `/{type}/_search`) is a read whose
# parameters are in the body, kept out of URLs: it costs what the GET does.
_SEARCHES = ("/search", "/_search")


def cost_of(method: str, route_template: str) -> int:
    """The units one request of this method on this route takes from its client's quota."""
    heavy = HEAVY_ROUTES.get((method, route_template))
    if heavy is not None:
        return heavy
    if method == "POST" and route_template.endswith(_SEARCHES):
        return READ
    return READ if method in _SAFE_METHODS else WRITE
