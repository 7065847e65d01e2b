"""Schemathesis hooks for the CLI run (loaded through SCHEMATHESIS_HOOKS) and the in-process one.

Hypothesis replays a failing or shrinking sequence request for request; against a live server
a replayed `Idempotency-Key` then replays the first response (as it must), whose row a later
step may have deleted. Every generated request gets a key of its own so that replays create
rows; the replay rules themselves are tested in tests/records.

`positive_data_acceptance_documented` is schemathesis' "schema-valid request rejected" check
(`positive_data_acceptance`, which the runs exclude in its favour) that accepts exactly the
refusals the schema documents, and nothing else:

- a 422 whose every field error has a code of the document's `x-business-rules` (rules JSON
  Schema cannot state: a row of another clinic, a date after today, a cursor not issued by the
  server...);
- a 412 from an operation that takes `If-Match`: a generated ETag cannot name the version the
  row has now (the stateful phase sends real ETags through the links); a 428 from one whose
  `If-Match` is optional (the upsert needs it only to replace a row that exists).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance


@schemathesis.hook
def map_headers(context: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
    """A fresh Idempotency-Key wherever one was generated."""
    if headers and "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return headers


def _takes_if_match(case: Any) -> bool:
    parameters = case.operation.definition.raw.get("parameters", [])
    return any(p.get("in") == "header" and p.get("name") == "If-Match" for p in parameters)


def _documented(rules: dict[str, str], error: dict[str, Any]) -> bool:
    pointer = str(error.get("pointer", ""))
    prefixes = [key[:-1] for key in rules if key.endswith("*")]
    return error.get("code") in rules or any(pointer.startswith(p) for p in prefixes)


def _documented_rules_only(case: Any, response: Any) -> bool:
    rules = case.operation.schema.raw_schema.get("x-business-rules", {})
    try:
        errors = json.loads(response.content).get("errors") or []
    except (ValueError, AttributeError):
        return False
    return bool(errors) and all(_documented(rules, error) for error in errors)


def is_documented_refusal(case: Any, response: Any) -> bool:
    """Whether the schema documents this refusal of a schema-valid request."""
    if response.status_code == 412:
        return _takes_if_match(case)
    if response.status_code == 428:
        # An optional If-Match (the upsert) is needed only once the row exists.
        return _takes_if_match(case)
    return response.status_code == 422 and _documented_rules_only(case, response)


@schemathesis.check
def positive_data_acceptance_documented(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schema-valid requests are accepted, unless refused for a documented reason."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if is_documented_refusal(case, response):
            return None
        raise
