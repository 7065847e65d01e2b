"""`POST /v1/session-records/batch`: many session records in one request (a mobile backend
uploading a week of offline home-practice logs), each validated, committed and audited as the
single POST does it, with its own `Idempotency-Key`: a retried batch creates nothing twice."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from fastapi import Request
from pydantic import ValidationError

from dmi_api.errors import (
    FieldProblem,
    ProblemError,
    ServiceUnavailableError,
    ValidationProblemError,
)
from dmi_api.http.handlers import field_errors
from dmi_api.http.problems import problem_body
from dmi_api.http.refusals import audit_refusal
from dmi_api.routers import make_router
from dmi_api.routers.session_records import URL, WriteToken
from dmi_api.schemas.session_batches import BatchItem, BatchResponse, SessionRecordBatch
from dmi_api.schemas.session_records import SessionRecordCreate
from dmi_api.stores import stores

router = make_router(tag="session-records")


def _within(index: int, entry: FieldProblem | dict[str, Any]) -> FieldProblem | dict[str, Any]:
    """A field problem pointing into the batch: `#/x` of the record becomes
    `#/items/{index}/record/x`; a problem with the single POST's `Idempotency-Key` header (the
    only header a create reads) points at the item's `idempotency_key`."""
    item = f"#/items/{index}"
    if isinstance(entry, FieldProblem):
        pointer, location = entry.pointer, entry.location
    else:
        pointer, location = str(entry["pointer"]), str(entry.get("location", "body"))
    moved = f"{item}/idempotency_key" if location == "header" else f"{item}/record{pointer[1:]}"
    if isinstance(entry, FieldProblem):
        return dataclasses.replace(entry, pointer=moved, location="body")
    return {**entry, "pointer": moved, "location": "body"}


def _refusal(index: int, refused: ProblemError) -> dict[str, Any]:
    return {
        "index": index,
        "status": refused.status,
        "replayed": False,
        "id": None,
        "version": None,
        "record": None,
        "problem": problem_body(
            status=refused.status,
            code=refused.code,
            title=refused.title,
            detail=refused.detail,
            extensions=refused.extensions,
        ),
    }


async def _item(request: Request, principal: Any, index: int, item: BatchItem) -> dict[str, Any]:
    try:
        record = SessionRecordCreate.model_validate(item.record)
    except ValidationError as invalid:
        errors = [_within(index, entry) for entry in field_errors(invalid.errors())]
        return _refusal(index, ValidationProblemError(errors))
    try:
        response = await stores(request).session_records.create(
            request,
            principal,
            record,
            idempotency_key=item.idempotency_key,
            child_in_path=False,
        )
    except ValidationProblemError as invalid:
        refused: ProblemError = ValidationProblemError(
            [_within(index, p) for p in (invalid.problems or invalid.extensions["errors"])],
            invalid.detail,
        )
    except ProblemError as other:
        refused = other
    else:
        body = orjson.loads(response.body)
        return {
            "index": index,
            "status": response.status_code,
            "replayed": response.headers.get("Idempotent-Replayed") == "true",
            "id": body["id"],
            "version": body["version"],
            "record": body,
            "problem": None,
        }
    # Audited as the single POST's refusal is (in a transaction of its own), or not answered.
    if not await audit_refusal(request, refused.status, refused):
        seconds = request.app.state.settings.db_retry_after_seconds
        detail = "The refusal could not be recorded; send the item again."
        refused = ServiceUnavailableError(detail, retry_after_seconds=seconds)
    return _refusal(index, refused)


@router.post(URL + "/batch", response_model=BatchResponse, summary="Record many sessions")
async def create_session_records_batch(
    principal: WriteToken, request: Request, payload: SessionRecordBatch
) -> BatchResponse:
    """Up to 100 session records (e.g. home-practice logs recorded offline), in order, each with
    its own `idempotency_key`, validated as a single POST, committed or refused on its own: a
    result per item (201, `replayed`, or the refusal with pointers into the batch). A retried
    batch creates nothing twice; the records keep the times the client sent."""
    results = [await _item(request, principal, i, item) for i, item in enumerate(payload.items)]
    return BatchResponse.model_validate({"results": results})
