"""Throttling of failed client authentication, per presented client id and source address, in
the database."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from ipaddress import IPv6Address, IPv6Network, ip_address
from typing import Any

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dmi_api.config import Settings
from dmi_api.models import AuthThrottle
from dmi_api.models.columns import utcnow

MAX_KEY_LENGTH = 255
# The longest `DMI_AUTH_FAILURE_WINDOW_SECONDS` allows: a count begun before it is over.
LONGEST_WINDOW = timedelta(days=1)


def source_of(address: str | None) -> str:
    """Where failures come from: the peer's IPv4 address, or its IPv6 /64 (one host holds a
    whole /64, and each of its addresses counted apart would count nothing)."""
    try:
        peer = ip_address(address or "")
    except ValueError:
        return "-"  # no peer known (a test client, a Unix socket): one count for all of them
    if isinstance(peer, IPv6Address):
        if peer.ipv4_mapped is not None:  # a dual-stack socket's IPv4 peer
            return str(peer.ipv4_mapped)
        return str(IPv6Network((int(peer) >> 64 << 64, 64)))
    return str(peer)


def _key(client_id: str, source: str | None) -> str:
    # Per client id AND source: a stranger who knows a client id (no secret: every token's `sub`
    # names it) locks only its own address out, never the clinic's integration.
    # A client id is found by its UUID whatever its spelling (case, hyphens, braces, urn:uuid:):
    # every spelling of one id shares one count, or each would be a fresh set of guesses.
    try:
        client = str(uuid.UUID(client_id))
    except ValueError:
        client = client_id
    return f"{source_of(source)} {client}"[:MAX_KEY_LENGTH]


def _as_utc(value: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns.
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


async def seconds_locked(db: AsyncSession, client_id: str, source: str | None) -> int:
    """Seconds until this client id may try again from `source` (the peer's address); 0 when
    it is not locked."""
    locked_until = (
        await db.execute(
            select(col(AuthThrottle.locked_until)).where(
                col(AuthThrottle.client_key) == _key(client_id, source)
            )
        )
    ).scalar_one_or_none()
    if locked_until is None:
        return 0
    remaining = (_as_utc(locked_until) - utcnow()).total_seconds()
    return max(0, math.ceil(remaining))


async def record_failure(
    db: AsyncSession, client_id: str, source: str | None, settings: Settings
) -> None:
    """Count a failure from `source` atomically (one upsert, safe across workers); lock on
    reaching the limit."""
    now = utcnow()
    window_start = now - timedelta(seconds=settings.auth_failure_window_seconds)
    lock_until = now + timedelta(seconds=settings.auth_lockout_seconds)
    table = AuthThrottle.__table__  # type: ignore[attr-defined]
    dialect_insert: Any = (
        postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    first_locks = settings.auth_max_failures <= 1
    statement = dialect_insert(table).values(
        client_key=_key(client_id, source),
        failures=1,
        window_started_at=now,
        locked_until=lock_until if first_locks else None,
    )
    stale = table.c.window_started_at < window_start
    failures = case((stale, literal(1)), else_=table.c.failures + 1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.client_key],
        set_={
            "failures": failures,
            "window_started_at": case((stale, literal(now)), else_=table.c.window_started_at),
            "locked_until": case(
                (failures >= settings.auth_max_failures, literal(lock_until)),
                else_=table.c.locked_until,
            ),
        },
    )
    await db.execute(statement)


async def clear(db: AsyncSession, client_id: str, source: str | None) -> None:
    """Forget the failures of a client id from `source` after it authenticates there."""
    key = _key(client_id, source)
    await db.execute(delete(AuthThrottle).where(col(AuthThrottle.client_key) == key))


async def prune(db: AsyncSession, now: datetime | None = None) -> int:
    """Forget the counts that can no longer matter: their window begun longer ago than any
    window the settings allow, and no lock in force. Every presented id leaves a row, so without
    this a stranger spraying made-up client ids would grow the table without end; the daily
    upkeep runs it."""
    now = now or utcnow()
    locked = col(AuthThrottle.locked_until)
    result = await db.execute(
        delete(AuthThrottle).where(
            col(AuthThrottle.window_started_at) < now - LONGEST_WINDOW,
            locked.is_(None) | (locked < now),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
