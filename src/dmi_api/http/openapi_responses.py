"""Each operation's error responses and conditional headers, derived from what its route does.

A status is documented where the route can answer it, and nowhere else, so that a client (or a
conformance tool) can rely on the list; a route added later is described by the same rules:

- 401 and 403: the route demands a token (its OpenAPI `security`); 503 with them, since the
  token's client is checked in the database, and wherever the route opens a database session.
- 404: the path names a row (a path parameter).
- 422: a parameter or JSON body is validated, and every authenticated route refuses unknown
  query parameters.
- 413 where the operation takes a body; 415 where the route checks its media type, and
  wherever a body's content coding is not gzip; 400 there too, for a gzip body that is not gzip.
- 409 on authenticated writes: a uniqueness race (or a reused `Idempotency-Key`) conflicts.
- `If-Match`: 428 without it, 412 when stale, 400 when it is not a quoted ETag. It is declared
  required, except on an operation that also creates (201): no ETag exists to send before.
- A GET documented with 304 (a versioned body; see `openapi_links`) declares `If-None-Match`.

Statuses a route declares itself (`responses=`: business conflicts such as a signed record,
OAuth's own errors, 429) are kept as they are.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from dmi_api.deps import get_db_session
from dmi_api.http.problems import PROBLEM_MEDIA_TYPE

_PROBLEM = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_WRITES = frozenset({"post", "put", "patch"})
# RFC 9110 §13.1.1: `*` or a comma-separated list of (optionally weak) quoted tags, separated
# by optional whitespace (OWS: spaces and tabs), as `dmi_api.http.conditional` accepts them
# (anything else is a 400).
_TAG = r'(W/)?"[\x21\x23-\x7e\x80-\xff]*"'
IF_MATCH_PATTERN = rf"^[ \t]*(\*|{_TAG}([ \t]*,[ \t]*{_TAG})*)[ \t]*$"
_IF_MATCH_DOC = (
    'ETag of the version being changed, quoted as sent (`"3"`); 428 without it, 412 when the '
    "resource has changed since, 400 when it is not `*` or quoted ETags"
)
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETag(s) the caller holds; 304 without a body when one is current",
    # Any value is accepted: one that names no current version just gets the body.
    "schema": {"type": "string"},
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
# Every response to a request that authentication charged to its client's quota.
RATE_LIMIT_HEADER_COMPONENTS: dict[str, Any] = {
    "RateLimit-Policy": {
        "description": "The client's quota (draft-ietf-httpapi-ratelimit-headers): "
        '`"client";q=<units>;w=60`, cost units per 60 s; a read costs 1, a write 5, a batch '
        "upload 50, an export kick-off 100",
        "schema": {"type": "string", "pattern": '^"client";q=[0-9]+;w=60$'},
    },
    "RateLimit": {
        "description": 'What remains of the quota: `"client";r=<units>;t=<seconds until more '
        "are free>`; absent when the counters cannot be read",
        "schema": {"type": "string", "pattern": '^"client";r=[0-9]+;t=[0-9]+$'},
    },
}
_RATE_LIMIT_HEADERS = {
    name: {"$ref": f"#/components/headers/{name}"} for name in RATE_LIMIT_HEADER_COMPONENTS
}
_CHALLENGE = {
    "WWW-Authenticate": {
        "description": "RFC 6750 Bearer challenge",
        "required": True,
        "schema": {"type": "string", "pattern": "^Bearer"},
    }
}
_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request: `If-Match` is not `*` or a list of quoted ETags, or a body sent with "
    "`Content-Encoding: gzip` is not whole gzip data",
    401: "Unauthorized: no valid access token",
    403: "Forbidden: the token lacks a scope this operation needs",
    404: "Not Found: no such row in the caller's clinic",
    409: "Conflict: the change conflicts with the current state (a taken unique value, a reused "
    "`Idempotency-Key`, a concurrent change)",
    412: "Precondition Failed: `If-Match` does not name the current version (which `ETag` and "
    "`current_version` name)",
    413: "Content Too Large: the body exceeds the configured limit",
    415: "Unsupported Media Type: the body is not JSON, or has a content coding other than "
    "gzip (`Accept-Encoding` names it)",
    422: "Unprocessable Content: a field or parameter is invalid (a JSON pointer per field in "
    "`errors`), or a rule that the schema cannot state refuses it (the codes of "
    "`x-business-rules` at the root of this document)",
    428: "Precondition Required: send `If-Match` with the ETag of the version being changed",
    429: "Too Many Requests: the client's rate limit is used up (`RateLimit`); retry after "
    "`Retry-After`",
    503: "Service Unavailable: the database cannot serve now; retry after `Retry-After`",
}
# `/fhir/` operations answer every error as an OperationOutcome; an invalid read or search
# parameter is FHIR's 400 (`http.fhir_outcomes`).
_OUTCOME = {
    "application/fhir+json": {
        "schema": {
            "type": "object",
            "required": ["resourceType", "issue"],
            "properties": {
                "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                "issue": {"type": "array", "items": {"type": "object"}, "minItems": 1},
            },
        }
    }
}
_FHIR_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request: an invalid id or search parameter (an OperationOutcome, `expression` "
    "pointing at the parameter)",
    406: "Not Acceptable: the Accept header takes no JSON, and no `_format` overrides it",
    410: "Gone: the resource was deleted",
    500: "Internal Server Error: the bulk export failed; start it again",
}
# The 422 field errors of rules that JSON Schema cannot state, so that a request the schema
# allows may still be refused; each one's reason. A key is an `errors[].code`, or a pointer
# prefix ending in `*` for values checked against something the request names (an
# instrument's catalogue). Published as the root `x-business-rules`.
BUSINESS_RULES: dict[str, str] = {
    "cursor_invalid": "a cursor the server did not issue for this query (cursors are opaque)",
    "invalid_search_value": "a FHIR search parameter's value the server cannot read (a "
    "`_lastUpdated` without gt/ge/lt/le, more than two bounds, an `_id` list that is not "
    "1-100 ids)",
    "reference_not_found": "a referenced row (child, practitioner, exercise...) that is not "
    "one of the clinic's live rows",
    "exercise_mismatch": "a prescription item of another exercise or child",
    "date_in_future": "a date of something that happened, after today",
    "datetime_in_future": "a session that starts more than one day from now",
    "primary_twice": "more than one caregiver marked primary",
    "null_not_allowed": "a PATCH that sets a required field to null",
    "gmfcs_level": "a GMFCS level other than 1-5 or I-V (GMFCS items)",
    "unknown_field": "an entered value for an instrument whose scores the server computes",
    "invalid_norm_table": "an AIMS norm table that is not a valid table of percentiles",
    "date_too_early": "a birth date before 1990-01-01",
    "before_birth": "a date before the child's birth",
    "date_before_birth": "a date before the child's birth",
    "records_before_birth": (
        "a birth date after the start of the child's recorded milestones, assessments, sessions or"
        " prescriptions"
    ),
    "before_start": "the end of a range before its start",
    "end_before_start": "the end of a range before its start",
    "bad_period": "a report period that ends before it starts or before the birth date",
    "pause_out_of_order": "prescription pauses that overlap or fall outside the period",
    "invalid_transition": "a status change the resource's life cycle does not allow",
    "block_needs_intensive": "an intensive block's plan on a prescription whose setting is not "
    "`intensive`",
    "status_date_without_change": "a status date without a status change",
    "duration_out_of_range": "a session that ends before it starts or lasts too long",
    "missing": "a field that another field's value requires (`practitioner_id` unless the "
    "session is home practice, an entered value of a final assessment)",
    "conflicting_fields": "fields that exclude each other",
    "days_without_weeks": "gestational age days without weeks",
    "duplicate": "the same value twice in a set",
    "duplicate_item": "the same exercise twice in a prescription",
    "duplicate_code": "the same diagnosis code twice",
    "not_applicable": "a field the instrument does not use",
    "unknown_item": "an item id outside the instrument's catalogue",
    "score_out_of_range": "an item score outside the instrument's scale",
    "ci_out_of_order": "ci95_low ≤ gmae_score ≤ ci95_high does not hold",
    "#/entered/*": "entered values are checked against the instrument's own fields and ranges",
    "external_id_mismatch": "a body `external_id` other than the one in the path",
    "child_id_mismatch": "a body `child_id` other than the child in the path (nested POST)",
    "datetime_out_of_range": "a date-time whose offset carries it before 0001-01-01 or after "
    "9999-12-31 in UTC",
    "date_out_of_range": "a report end that leaves no day before it, or more than five years ahead",
    "unknown_time_zone": "a `time_zone` that is not an IANA time zone name",
    "idempotency_key_reused": "an `Idempotency-Key` already used with another request",
    "duplicate_member": "a JSON object naming a member more than once (RFC 8259 §4)",
    "string_unstorable": "text with NUL characters or unpaired surrogates, which JSON allows "
    "and storage cannot hold",
    "int_type": "an integer written with a fraction (`3.0`): integers are sent as `3`",
    "jwks_invalid": "a JWKS whose keys are not usable public signing keys",
    "jwks_auth_method": "a `jwks` without `private_key_jwt`, or `private_key_jwt` without one",
    "unknown_event_type": "a webhook subscription that is not an event type, a "
    "`<resource>.*` of one, or `*`",
    "url_invalid": "a webhook URL that is not an absolute URL with a valid host (and a port "
    "from 1 to 65535)",
    "url_too_long": "a webhook URL longer than 2048 characters (as it is called: percent-encoded)",
    "scheme_not_allowed": "a webhook URL that is not https://",
    "userinfo_not_allowed": "a webhook URL with a user or password",
    "host_missing": "a webhook URL without a host",
    "host_unresolvable": "a webhook URL whose host does not resolve",
    "address_not_allowed": "a webhook URL whose host is or resolves to an address that is not "
    "public (private, loopback, link-local and cloud metadata, reserved...)",
    "localhost_not_allowed": "a webhook URL whose host names this machine (`localhost`)",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: _CHALLENGE,
    403: _CHALLENGE,
    412: {
        "ETag": {
            "description": "the current version's ETag (also `current_version` in the body), "
            "when a stale `If-Match` was refused: the version to merge with",
            "schema": {"type": "string"},
        }
    },
    415: {
        "Accept-Encoding": {
            "description": "when the body's content coding was refused: the one accepted",
            "schema": {"type": "string", "enum": ["gzip"]},
        }
    },
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}


def _uses_database(dependant: Dependant) -> bool:
    return any(sub.call is get_db_session or _uses_database(sub) for sub in dependant.dependencies)


def _header(operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == name.lower():
            found: dict[str, Any] = parameter
            return found
    return None


def error_statuses(route: RouteContext, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses this route can answer for `method`."""
    authenticated = bool(operation.get("security"))
    statuses: set[int] = set()
    if authenticated:
        statuses |= {401, 403, 422, 429, 503}
    if _uses_database(route.dependant):
        statuses.add(503)
    # The operation's parameters, its dependencies' included (e.g. a report's path and period).
    places = {parameter.get("in") for parameter in operation.get("parameters", [])}
    if "path" in places:
        statuses.add(404)
    if places & {"path", "query", "header"}:
        statuses.add(422)
    if route.body_field is not None:
        statuses |= {413, 415, 422}
    if route.body_field is not None or "requestBody" in operation:
        # Any body's coding (`http.content_coding`): 415 for one other than gzip, 400 for a
        # gzip body that is not gzip.
        statuses |= {400, 413, 415}
    # A write's uniqueness race; any operation's Idempotency-Key still in progress.
    if authenticated and (method in _WRITES or _header(operation, "Idempotency-Key")):
        statuses.add(409)
    if _header(operation, "If-Match") is not None:
        statuses |= {400, 412, 428}
    return statuses


def _declare_rate_limit_headers(responses: dict[str, Any]) -> None:
    """The quota headers on an authenticated operation's answers and on its 429."""
    for key, response in responses.items():
        if key.startswith(("2", "3")) or key == "429":
            response["headers"] = {**response.get("headers", {}), **_RATE_LIMIT_HEADERS}


def _declare_if_match(operation: dict[str, Any]) -> None:
    parameter = _header(operation, "If-Match")
    if parameter is None:
        return
    # An operation that may create has no ETag to send yet (the upsert: 412 if one is sent to
    # create); every other operation answers 428 without it.
    parameter["required"] = "201" not in operation.get("responses", {})
    parameter["description"] = _IF_MATCH_DOC
    parameter["schema"] = {"type": "string", "pattern": IF_MATCH_PATTERN}


def _declare_if_none_match(method: str, operation: dict[str, Any]) -> None:
    responses = operation.get("responses", {})
    if method == "get" and "304" in responses and _header(operation, "If-None-Match") is None:
        operation.setdefault("parameters", []).append(dict(_IF_NONE_MATCH))


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _DESCRIPTIONS[status], "content": _PROBLEM}
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def _outcome(status: int) -> dict[str, Any]:
    description = _FHIR_DESCRIPTIONS.get(status) or _DESCRIPTIONS[status]
    response: dict[str, Any] = {"description": description, "content": _OUTCOME}
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def _error_response(path: str, status: int) -> tuple[int, dict[str, Any]]:
    """The documented error response of a status on a path (FHIR's form under `/fhir/`)."""
    if not path.startswith("/fhir/"):
        return status, _problem(status)
    fhir_status = 400 if status == 422 else status
    return fhir_status, _outcome(fhir_status)


def _as_outcomes(responses: dict[str, Any]) -> None:
    """A FHIR operation's problem responses, declared as OperationOutcomes (a 422 as 400)."""
    for key in [key for key in responses if key.startswith(("4", "5"))]:
        documented, response = _error_response("/fhir/", int(key))
        del responses[key]
        responses[str(documented)] = response


def document_error_responses(app: FastAPI, schema: dict[str, Any]) -> None:
    """Add each operation's derived error responses and conditional headers, in place."""
    schema["x-business-rules"] = dict(sorted(BUSINESS_RULES.items()))
    schema.setdefault("components", {})["headers"] = RATE_LIMIT_HEADER_COMPONENTS
    paths: dict[str, Any] = schema.get("paths", {})
    # Routes as included (prefixes and router settings applied), as FastAPI documents them.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in sorted(m.lower() for m in route.methods or ()):
            operation = paths.get(route.path_format or "", {}).get(method)
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for key, declared in responses.items():
                # An error the route declares by its description only: in the API's form.
                if key.isdigit() and int(key) in _DESCRIPTIONS and "content" not in declared:
                    derived = _error_response(route.path_format or "", int(key))[1]
                    responses[key] = {**derived, "description": declared["description"]}
            for status in sorted(error_statuses(route, method, operation)):
                documented, response = _error_response(route.path_format or "", status)
                responses.setdefault(str(documented), response)
            if (route.path_format or "").startswith("/fhir/"):
                _as_outcomes(responses)
            if operation.get("security"):
                _declare_rate_limit_headers(responses)
            _declare_if_match(operation)
            _declare_if_none_match(method, operation)
            operation["responses"] = dict(sorted(responses.items()))
