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
  `If-Match` is optional (the upsert needs it only to replace a row that exists);
- a 400 for an `If-Match` that breaks the documented pattern, and a `string_pattern_mismatch`
  for a body value ending in a newline (Python's `$` admits one, ECMA-262's does not): generator
  artifacts, such requests are not schema-valid.

The run's own client is never changed (`before_call`), so that it is not locked out midway: a
spare client of the same clinic stands in for it.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

OWN_CLIENT_ENV = "DMI_ST_OWN_CLIENT_ID"
SPARE_CLIENT_ENV = "DMI_ST_SPARE_CLIENT_ID"


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    """Never change the run's own client: `active: false` or fewer scopes would lock the rest of
    the run out (every later request a 401 or 403). The spare client's id is sent instead (a
    random one without it: 404, which the stateful checks may take for a lost resource)."""
    own = os.environ.get(OWN_CLIENT_ENV)
    parameters = case.path_parameters or {}
    if own and str(parameters.get("client_id")) == own:
        parameters["client_id"] = os.environ.get(SPARE_CLIENT_ENV) or str(uuid.uuid4())


@schemathesis.hook
def map_headers(context: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
    """A fresh Idempotency-Key wherever one was generated."""
    if headers and "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return headers


def _if_match(case: Any) -> dict[str, Any] | None:
    parameters = case.operation.definition.raw.get("parameters", [])
    return next(
        (p for p in parameters if p.get("in") == "header" and p.get("name") == "If-Match"), None
    )


def _takes_if_match(case: Any) -> bool:
    return _if_match(case) is not None


def _if_match_off_pattern(case: Any) -> bool:
    """The sent If-Match breaks the documented pattern: the request was not schema-valid.

    Schemathesis' coverage phase generates header values from letters and digits only, so for
    a pattern that needs quotes it may send a value such as `0` and still label the case
    positive."""
    parameter, sent = _if_match(case), (case.headers or {}).get("If-Match")
    if parameter is None or sent is None:
        return False
    return re.search(parameter["schema"]["pattern"], sent) is None


def _sent(case: Any, error: dict[str, Any]) -> object:
    """The body value a field error points at (None if it cannot be found)."""
    value: Any = case.body
    for part in str(error.get("pointer", "#")).removeprefix("#/").split("/"):
        if isinstance(value, dict):
            value = value.get(part.replace("~1", "/").replace("~0", "~"))
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _documented(case: Any, rules: dict[str, str], error: dict[str, Any]) -> bool:
    pointer = str(error.get("pointer", ""))
    prefixes = [key[:-1] for key in rules if key.endswith("*")]
    if error.get("code") in rules or any(pointer.startswith(p) for p in prefixes):
        return True
    # Python's `$` also matches before a final newline, so Hypothesis may generate "x@y.z\n" for
    # a pattern ending in `$`; JSON Schema patterns are ECMA-262, whose `$` does not: such a
    # value breaks the documented pattern, and the request was not schema-valid.
    sent = _sent(case, error) if error.get("location") == "body" else None
    return error.get("code") == "string_pattern_mismatch" and str(sent).endswith("\n")


def _documented_rules_only(case: Any, response: Any) -> bool:
    rules = case.operation.schema.raw_schema.get("x-business-rules", {})
    try:
        errors = json.loads(response.content).get("errors") or []
    except (ValueError, AttributeError):
        return False
    return bool(errors) and all(_documented(case, rules, error) for error in errors)


def _documented_outcome(case: Any, response: Any) -> bool:
    """A FHIR operation's 400 whose every issue is a documented rule (`details.text`)."""
    rules = case.operation.schema.raw_schema.get("x-business-rules", {})
    try:
        issues = json.loads(response.content).get("issue") or []
    except (ValueError, AttributeError):
        return False
    codes = [issue.get("details", {}).get("text") for issue in issues]
    return bool(codes) and all(code in rules for code in codes)


def is_documented_refusal(case: Any, response: Any) -> bool:
    """Whether the schema documents this refusal of a schema-valid request."""
    if response.status_code == 400 and case.path.startswith("/fhir/"):
        return _documented_outcome(case, response)
    if response.status_code == 400:
        return _if_match_off_pattern(case)
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
