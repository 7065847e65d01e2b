"""Idempotency keys: a retried POST replays its first response instead of writing twice."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dmi_api.errors import ConflictError, FieldProblem, ValidationProblemError
from dmi_api.models import IdempotencyKey
from dmi_api.models.columns import utcnow
from dmi_api.tenant_scope import Tenant

KEY_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class StoredResponse:
    """The response a key produced the first time."""

    status_code: int
    body: dict[str, Any]
    headers: dict[str, str]


def fingerprint(method: str, route: str, body: Any) -> str:
    """What makes two requests "the same": operation and canonical body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {route}\n{canonical}".encode()).hexdigest()


def _reused() -> ValidationProblemError:
    detail = "This key was used with a different request; use a new key."
    return ValidationProblemError(
        [FieldProblem("#/Idempotency-Key", detail, "idempotency_key_reused", "header")]
    )


async def claim(
    tenant: Tenant, *, client_id: uuid.UUID, key: str, request_hash: str
) -> StoredResponse | None:
    """Claim the key for this request, or return the response it already produced.

    The claim is a row inserted in the request's own transaction: a concurrent request with the
    same key waits on it, then sees the committed response (or, after a rollback, claims it).
    """
    db = tenant.db
    now = utcnow()
    await db.execute(
        tenant.delete(IdempotencyKey).where(
            col(IdempotencyKey.client_id) == client_id,
            col(IdempotencyKey.key) == key,
            col(IdempotencyKey.expires_at) < now,
        )
    )
    insert: Any = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    result: Any = await db.execute(
        insert(IdempotencyKey.__table__)  # type: ignore[attr-defined]
        .values(
            clinic_id=tenant.clinic_id,
            client_id=client_id,
            key=key,
            request_hash=request_hash,
            created_at=now,
            expires_at=now + KEY_LIFETIME,
        )
        .on_conflict_do_nothing()
    )
    if result.rowcount == 1:
        return None
    existing = await tenant.db.get(IdempotencyKey, (tenant.clinic_id, client_id, key))
    if existing is None or existing.request_hash != request_hash:
        raise _reused()
    if existing.status_code is None or existing.response_body is None:
        raise ConflictError("A request with this Idempotency-Key is still in progress.")
    return StoredResponse(
        existing.status_code, existing.response_body, dict(existing.response_headers or {})
    )


async def complete(
    tenant: Tenant,
    *,
    client_id: uuid.UUID,
    key: str,
    status_code: int,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    """Store the response with the key (committed with the change it describes)."""
    row = await tenant.db.get(IdempotencyKey, (tenant.clinic_id, client_id, key))
    assert row is not None, "complete() without claim()"
    row.status_code = status_code
    row.response_body = body
    row.response_headers = headers
    await tenant.db.flush()


async def prune(db: AsyncSession, now: datetime | None = None) -> int:
    """Delete every clinic's keys past their lifetime (the daily upkeep), with the answers
    they kept; how many. A key's own reuse deletes it too (`claim`)."""
    now = now or utcnow()
    if db.get_bind().dialect.name == "postgresql":
        # Row-level security shows a session one clinic's keys: the function sees them all.
        result = await db.execute(text("SELECT dmi_prune_idempotency_keys(:now)"), {"now": now})
        count: int = result.scalar_one()
        return count
    lapsed = text("DELETE FROM idempotency_key WHERE expires_at < :now")
    gone = await db.execute(lapsed, {"now": now})
    return int(getattr(gone, "rowcount", 0) or 0)
