"""OperationOutcome: how the FHIR API says what went wrong, for every error the API raises
(a problem document of the JSON API, turned into an outcome under `/fhir/`)."""

from __future__ import annotations

from typing import Any

# A problem's HTTP status to the outcome's issue type (FHIR's IssueType value set).
ISSUE_TYPES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    503: "transient",
    504: "timeout",
}


def operation_outcome(status: int, problem: dict[str, Any]) -> dict[str, Any]:
    """The outcome of a problem document: one issue per field error (its pointer as the
    issue's expression), else one for the problem itself; never the caller's values."""
    code = ISSUE_TYPES.get(status, "exception" if status >= 500 else "processing")
    severity = "error" if status < 500 else "fatal"
    detail = str(problem.get("detail") or problem.get("title") or "")
    errors = problem.get("errors")
    issues: list[dict[str, Any]] = []
    if isinstance(errors, list):
        for error in errors:
            if not isinstance(error, dict):
                continue
            issue: dict[str, Any] = {
                "severity": severity,
                "code": code,
                "diagnostics": str(error.get("detail") or detail),
            }
            if error.get("pointer"):
                issue["expression"] = [str(error["pointer"])]
            if error.get("code"):
                issue["details"] = {"text": str(error["code"])}
            issues.append(issue)
    if not issues:
        issues.append({"severity": severity, "code": code, "diagnostics": detail})
    problem_code = problem.get("code")
    if problem_code:
        for issue in issues:
            issue.setdefault("details", {"text": str(problem_code)})
    return {"resourceType": "OperationOutcome", "issue": issues}
