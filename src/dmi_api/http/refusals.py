"""Auditing of refused requests, each committed in a transaction of its own (the request's was
rolled back): denials (401, 403 and 404 once authentication began) and refused writes (409, 412,
and 422 for a body naming a row the clinic does not have or a reused `Idempotency-Key`).

A refusal is recorded or not answered as one: an event whose connection dies is written again on
a fresh connection, and one that still cannot be written turns the answer into a 503, so that no
probe goes unrecorded.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy.exc as sa_exc
from starlette.requests import Request

from dmi_api.audit_trail import Action, record_event
from dmi_api.auth.principal import Principal
from dmi_api.db import DbSessionMaker
from dmi_api.errors import ValidationProblemError
from dmi_api.request_context import current_request_id
from dmi_api.tenant_scope import bind_settings

logger = logging.getLogger("dmi_api.audit")

DENIED_STATUSES = frozenset({401, 403, 404})
REFUSED_WRITE_STATUSES = frozenset({409, 412})
# The 422s that are probes rather than typing mistakes.
AUDITED_PROBLEM_CODES = frozenset({"reference_not_found", "idempotency_key_reused"})
_WRITE_ACTIONS: dict[str, Action] = {
    "POST": "create",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "delete",
}
# A killed connection invalidates the pool's older connections: the second attempt runs on a
# fresh one.
_ATTEMPTS = 2
# One request's body can name many ids; the trail keeps this many of them.
_MAX_REFERENCES = 100


@dataclass(frozen=True)
class Refusal:
    """One audit event of a refused request."""

    action: Action
    reference_field: str | None = None
    reference_id: uuid.UUID | None = None


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _names_a_row(parameter: str) -> bool:
    # `{id}`: an export's, or a FHIR resource's. An `external_id` is the EHR's MRN: PHI, no id
    # of ours.
    return parameter == "id" or (parameter.endswith("_id") and parameter != "external_id")


def _row_id(value: str) -> uuid.UUID | None:
    """The id of ours a path segment names: a UUID in any spelling, or the row's id leading a
    FHIR id made of it (`{child}.diagnosis.{token}`, `{child}.caregiver.0`: only the row's id is
    filed; what follows it could be anything a client typed, such as a diagnosis code)."""
    return _uuid(value) or _uuid(value.split(".", 1)[0])


def _resource(request: Request) -> tuple[str, str | None, uuid.UUID | None]:
    route: Any = request.scope.get("route")
    tags = getattr(route, "tags", None) or ["unknown"]
    params = request.path_params
    resource_id = next(
        (str(v) for k, v in params.items() if _names_a_row(k) and k != "child_id"), None
    )
    # A path takes any spelling of a UUID (upper case, braces, urn:uuid:...): the trail files
    # the id itself, so that a search by it finds every probe of it. Only ids of ours are
    # kept: a path segment could be anything (a name typed where an id goes).
    named = _row_id(resource_id) if resource_id is not None else None
    child_id = _uuid(params["child_id"]) if "child_id" in params else None
    if named is None:
        named = child_id
    return str(tags[0]), None if named is None else str(named), child_id


def refusals(request: Request, status: int, exc: Exception | None) -> list[Refusal]:
    """The audit events a refusal with this status (and error) leaves; none for the rest."""
    if not getattr(request.state, "audit_denials", False):
        return []  # authentication never began: not a route of the audited API
    if status in DENIED_STATUSES:
        return [Refusal("denied")]
    action = _WRITE_ACTIONS.get(request.method)
    if action is None:
        return []
    if status in REFUSED_WRITE_STATUSES:
        return [Refusal(action)]
    if status == 422 and isinstance(exc, ValidationProblemError):
        probes = [p for p in exc.problems if p.code in AUDITED_PROBLEM_CODES]
        return [
            Refusal(action, reference_field=p.pointer, reference_id=p.reference)
            for p in probes[:_MAX_REFERENCES]
        ]
    return []


async def audit_refusal(request: Request, status: int, exc: Exception | None = None) -> bool:
    """Record the refusal's events, committed on their own; False when they could not be
    recorded (the caller answers 503 instead)."""
    events = refusals(request, status, exc)
    if not events:
        return True
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            await _record(request, status, events)
            return True
        except (sa_exc.SQLAlchemyError, OSError, TimeoutError) as error:
            logger.warning(
                "refusal not audited",
                extra={
                    "request_id": current_request_id(),
                    "exc_type": type(error).__name__,
                    "attempt": attempt,
                },
            )
    return False


async def _record(request: Request, status: int, events: list[Refusal]) -> None:
    principal: Principal | None = getattr(request.state, "principal", None)
    resource_type, resource_id, child_id = _resource(request)
    sessionmaker: DbSessionMaker = request.app.state.sessionmaker
    async with sessionmaker() as db:
        await bind_settings(db, clinic_id=principal.clinic_id if principal else None)
        for event in events:
            record_event(
                db,
                principal=principal,
                action=event.action,
                resource_type=resource_type,
                resource_id=resource_id,
                child_id=child_id,
                outcome=status,
                reference_field=event.reference_field,
                reference_id=event.reference_id,
            )
        await db.commit()
