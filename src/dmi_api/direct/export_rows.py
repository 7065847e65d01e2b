"""How a bulk export reads its rows on PostgreSQL: the driver's own cursor (no ORM result
processing), chunk by chunk, in the export's snapshot.

`stream_rows` reads on the session's own connection, in its transaction. `SnapshotRows` reads on
a connection of its own that imports the session's snapshot (`pg_export_snapshot`, as
`pg_dump`'s parallel workers do), so that the next chunk is fetched while the export renders
this one and the session's connection stays free for the rendering's own queries (ages, items,
amendments): PostgreSQL's work on the rows no longer waits for Python's, nor Python's for it
(bench/README.md, "Bulk export")."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy import Select, text
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from dmi_api.config import Settings
from dmi_api.db import driver_timeout_seconds, server_settings
from dmi_api.tenant_scope import CLIENT_SETTING, CLINIC_SETTING, named_rows

_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
# The session's snapshot, and what it is bound to; whether its transaction has written (its
# writes are in no exported snapshot: it is read on its own connection then).
_SESSION = text(
    "SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS wrote, "
    "current_setting(:clinic, true) AS clinic, current_setting(:client, true) AS client"
)
_EXPORT = text("SELECT pg_export_snapshot()")
_BIND = "SELECT set_config($1, $2, true), set_config($3, $4, true)"
# The session's connection waits while the other one reads: a statement now and then keeps
# its transaction (the snapshot's, where the rendering's queries run) from ending at
# `idle_in_transaction_session_timeout` (at least 60 s, `db.server_settings`).
_KEEPALIVE = text("SELECT 1")
KEEPALIVE_SECONDS = 20.0


def _compiled(statement: Select[Any]) -> tuple[str, list[Any]]:
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return compiled.string, [compiled.params[name] for name in compiled.positiontup or ()]


async def stream_rows(
    db: AsyncSession, statement: Select[Any], chunk: int
) -> AsyncIterator[list[Any]]:
    """The rows of a statement in chunks, read by the driver's own cursor on the session's
    connection (its transaction: the same snapshot and the same bound clinic), each row's
    columns as attributes: a bulk export's reads, without the ORM's result processing (a
    third of the time per row, bench/README.md "Bulk export")."""
    sql, values = _compiled(statement)
    connection = await db.connection()
    conn: Any = (await connection.get_raw_connection()).driver_connection
    cursor = await conn.cursor(sql, *values)
    while rows := await cursor.fetch(chunk):
        yield named_rows(rows)


class SnapshotRows:
    """`stream_rows` on a connection of its own in the session's snapshot, one chunk ahead
    (see the module); `stream_rows` itself when the session's transaction has written."""

    def __init__(self, settings: Settings, *, keepalive_seconds: float = KEEPALIVE_SECONDS) -> None:
        url = make_url(settings.database_url_value).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        timeout_ms = settings.db_long_statement_timeout_ms
        self._connect_args: dict[str, Any] = {
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": driver_timeout_seconds(timeout_ms),
            "server_settings": server_settings(settings, "dmi-api-export", timeout_ms),
        }
        self._keepalive = keepalive_seconds

    async def __call__(
        self, db: AsyncSession, statement: Select[Any], chunk: int
    ) -> AsyncIterator[list[Any]]:
        session = (
            await db.execute(_SESSION, {"clinic": CLINIC_SETTING, "client": CLIENT_SETTING})
        ).one()
        if session.wrote or db.in_nested_transaction():
            async for rows in stream_rows(db, statement, chunk):
                yield rows
            return
        snapshot = (await db.execute(_EXPORT)).scalar_one()
        sql, values = _compiled(statement)
        conn = await asyncpg.connect(self._dsn, **self._connect_args)
        try:
            # JSON decoded as the app's engine decodes it (before the transaction: the
            # codecs' lookups are queries, and the snapshot must come first).
            for json_type in ("json", "jsonb"):
                await conn.set_type_codec(
                    json_type, schema="pg_catalog", encoder=_dumps, decoder=orjson.loads
                )
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                await conn.execute(f"SET TRANSACTION SNAPSHOT '{_quoted(snapshot)}'")
                await conn.execute(
                    _BIND,
                    CLINIC_SETTING,
                    session.clinic or "",
                    CLIENT_SETTING,
                    session.client or "",
                )
                used = time.monotonic()
                async for rows in _ahead(await conn.cursor(sql, *values), chunk):
                    yield rows
                    if time.monotonic() - used > self._keepalive:
                        await db.execute(_KEEPALIVE)
                        used = time.monotonic()
        finally:
            await conn.close()


async def _ahead(cursor: Any, chunk: int) -> AsyncIterator[list[Any]]:
    """A cursor's chunks, the next one asked for before this one is handed on (and on its way
    while it is rendered)."""
    pending = asyncio.ensure_future(cursor.fetch(chunk))
    try:
        while rows := await pending:
            pending = asyncio.ensure_future(cursor.fetch(chunk))
            await asyncio.sleep(0)  # the request goes out before the rendering starts
            yield named_rows(rows)
    finally:
        if not pending.done():
            pending.cancel()
            with suppress(asyncio.CancelledError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await pending


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _quoted(snapshot: str) -> str:
    """A snapshot's id (PostgreSQL's own: hex digits and dashes) for `SET TRANSACTION`."""
    if not all(c in "0123456789ABCDEFabcdef-" for c in snapshot):
        raise ValueError("unexpected snapshot id")
    return snapshot
