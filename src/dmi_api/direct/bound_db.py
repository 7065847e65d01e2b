"""Connections for direct reads: bound to the caller's clinic for row-level security."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import make_url
from starlette.requests import Request

from dmi_api.auth.principal import Principal
from dmi_api.config import Settings
from dmi_api.db import (
    UNAVAILABLE_SQLSTATE_PREFIXES,
    SchemaBehindError,
    check_schema_revision,
    driver_timeout_seconds,
    is_schema_behind,
    load_revisions,
    server_settings,
)
from dmi_api.direct.connection_pool import ConnectionPool
from dmi_api.direct.statements import Compiled, common_values
from dmi_api.errors import AuthenticationError
from dmi_api.route_limits import RouteLimits
from dmi_api.tenant_scope import CLIENT_SETTING, CLINIC_SETTING

Binding = tuple[uuid.UUID, uuid.UUID]
_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
_IDLE_SECONDS = 300  # an idle connection is closed after this long
_BIND = "SELECT set_config($1, $2, false), set_config($3, $4, false)"
_CURRENT = "SELECT current_setting($1, true), current_setting($2, true)"


class BoundConnection(asyncpg.Connection):  # type: ignore[misc]
    """An asyncpg connection that remembers which clinic and client its session is bound to."""

    dmi_binding: Binding | None = None

    def remember_binding(self, binding: Binding) -> None:
        """Note the session's binding (a method: the pool hands out proxies of connections)."""
        self.dmi_binding = binding


async def _bind(conn: Any, principal: Principal, *, remember: bool) -> None:
    # Session-level settings (not transaction-local): each statement is its own transaction.
    # Every direct statement also filters by clinic_id itself; the binding is what row-level
    # security checks on top, and a stale one could only hide rows, never show another's.
    binding = (principal.clinic_id, principal.client_id)
    if remember and getattr(conn, "dmi_binding", None) == binding:
        return
    await conn.execute(_BIND, CLINIC_SETTING, str(binding[0]), CLIENT_SETTING, str(binding[1]))
    if remember:
        conn.remember_binding(binding)


class Source(Protocol):
    """Where direct statements run."""

    def connection(self, principal: Principal) -> AbstractAsyncContextManager[Any]:
        """A connection bound to the principal's clinic, for one statement."""

    def open(self) -> None:
        """Serve again after `close` (at start-up)."""

    async def close(self) -> None:
        """Release what the source holds."""


class PoolSource:
    """A pool of asyncpg connections of its own (`ConnectionPool`), for the serving loop.

    Nothing is reset between statements (asyncpg's pool would run RESET ALL, a round trip and
    the binding lost): each statement is its own transaction and leaves only the binding.
    """

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url_value).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._settings = settings
        self._server_settings = self._session_settings(settings)
        self.pool: ConnectionPool[BoundConnection] = ConnectionPool(
            self._connect,
            size=settings.direct_pool_size,
            idle_seconds=_IDLE_SECONDS,
            acquire_timeout=settings.db_pool_timeout_seconds,
        )
        self.limits = RouteLimits.share_of(
            settings.direct_pool_size,
            settings.db_route_pool_share,
            settings.db_pool_timeout_seconds,
        )

    @staticmethod
    def _session_settings(s: Settings) -> dict[str, str]:
        settings = server_settings(s, "dmi-api-direct", s.db_statement_timeout_ms)
        if not s.durable_read_audit:
            # Only reads run here; their one write is the audit event of the read. See README.
            settings["synchronous_commit"] = "off"
        return settings

    async def _connect(self) -> BoundConnection:
        s = self._settings
        conn: BoundConnection = await asyncpg.connect(
            self._dsn,
            connection_class=BoundConnection,
            timeout=s.db_connect_timeout_seconds,
            command_timeout=driver_timeout_seconds(s.db_statement_timeout_ms),
            server_settings=self._server_settings,
        )
        return conn

    @asynccontextmanager
    async def connection(self, principal: Principal) -> AsyncIterator[Any]:
        """A pooled connection bound to the principal's clinic (rebound only on a change),
        within the calling route's share of the pool (`RouteLimits`)."""
        route, limits = _route.get(), self.limits
        if not limits.try_acquire(route):
            await limits.acquire(route)
        try:
            conn = await self.pool.acquire()
            if getattr(conn, "dmi_binding", None) != (principal.clinic_id, principal.client_id):
                conn = await self._bound(conn, principal)
            reusable = False
            try:
                yield conn
                reusable = True
            except asyncpg.PostgresConnectionError:
                raise  # the connection is gone
            except asyncpg.PostgresError:
                # The server refused the statement and is ready for the next: the connection
                # is fine. Anything else (cancelled, timed out, broken) may leave it
                # mid-statement.
                reusable = True
                raise
            finally:
                self.pool.release(conn, reusable=reusable)
        finally:
            limits.release(route)

    async def _bound(self, conn: BoundConnection, principal: Principal) -> BoundConnection:
        """The pooled connection bound to the principal. One found dead while being bound (the
        server ended it since its last use) is replaced once: nothing of the request's own
        has run on it, and the binding has no effect to repeat or undo."""
        for retry in (True, False):
            try:
                await _bind(conn, principal, remember=True)
            except Exception:
                dead = conn.is_closed()
                self.pool.release(conn, reusable=False)
                if not (retry and dead):
                    raise
            except BaseException:
                self.pool.release(conn, reusable=False)
                raise
            else:
                return conn
            conn = await self.pool.acquire()
        raise AssertionError("unreachable")  # pragma: no cover

    def open(self) -> None:
        """Open the pool again if it was closed (at start-up)."""
        self.pool.open()

    async def close(self) -> None:
        """Close the pool (at shutdown)."""
        await self.pool.close()


class SharedConnectionSource:
    """One connection that is inside an open transaction (the test suite's rolled-back one).

    Each statement runs in a savepoint, so that a failed one leaves the transaction usable as
    it would leave an autocommit connection; the binding is set for the statement and the
    connection's previous one restored after it (the connection is shared with ORM sessions).
    """

    def __init__(self, get_connection: Callable[[], Awaitable[Any]]) -> None:
        self._get_connection = get_connection

    @asynccontextmanager
    async def connection(self, principal: Principal) -> AsyncIterator[Any]:
        """The shared connection, bound to the principal's clinic, in a savepoint."""
        conn = await self._get_connection()
        if not conn.is_in_transaction():
            raise RuntimeError("the shared connection must be inside a transaction")
        previous = await conn.fetchrow(_CURRENT, CLINIC_SETTING, CLIENT_SETTING)
        try:
            async with conn.transaction():
                await _bind(conn, principal, remember=False)
                yield conn
        finally:
            await conn.execute(
                _BIND, CLINIC_SETTING, previous[0] or "", CLIENT_SETTING, previous[1] or ""
            )

    def open(self) -> None:
        """Nothing to open: the connection belongs to its owner."""

    async def close(self) -> None:
        """Nothing to release: the connection belongs to its owner."""


class DatabaseUnavailableError(ConnectionError):
    """The database cannot serve a direct statement now (answered 503 with Retry-After)."""


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, asyncpg.InterfaceError | asyncpg.InternalClientError):
        # A closed or broken connection; the second is also what asyncpg raises when the
        # server ended an idle connection and the driver finds out mid-statement.
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)


class DirectDb:
    """The choke point of direct statements: each runs for a principal, on a connection bound
    to its clinic, with the principal's own values (`common_values`), and starts with the
    `auth` CTE, which filters by that clinic and checks the client (`statements.compiled`)."""

    def __init__(self, source: Source) -> None:
        self.source = source

    async def fetch(
        self, principal: Principal, statement: Compiled, values: Mapping[str, Any]
    ) -> list[Any]:
        """The rows of one statement; `values`: its own parameters, by name.

        Every statement selects from `auth` (joining the rest to it), so it has a row whenever
        the client is active: none means it is not (401, `AuthenticationError`).
        """
        given = {**statement.constants, **common_values(principal), **values}
        args = [given[name] for name in statement.names]
        try:
            async with self.source.connection(principal) as conn:
                rows: list[Any] = await conn.fetch(statement.sql, *args)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
            if is_schema_behind(exc):  # not migrated to this version yet: 503, as /readyz
                raise SchemaBehindError(type(exc).__name__) from None
            if _unavailable(exc):
                # The driver's text never leaves: it can quote the statement's values.
                raise DatabaseUnavailableError(type(exc).__name__) from None
            raise
        if not rows:
            raise AuthenticationError()
        return rows

    def open(self) -> None:
        """Serve again (at start-up: a closed pool is opened again)."""
        self.source.open()

    async def close(self) -> None:
        """Release the source (at shutdown)."""
        await self.source.close()


# The route a direct statement runs for: each route holds at most its share of the pool.
_route: ContextVar[Hashable] = ContextVar("dmi_direct_route", default=None)


def for_route(direct: DirectDb, request: Request) -> DirectDb:
    """`direct`, for the request's route: its statements hold at most the route's share of the
    pool (`RouteLimits`)."""
    _route.set(id(request.scope.get("route")))  # routes live as long as the app
    return direct


class ServerReadiness:
    """Readiness of PostgreSQL: the schema's revision (`db.check_schema_revision`) read on a
    connection of its own, within a time limit.

    A new connection per probe: never one of the request pools (a locked table that holds them
    all does not make the replica not-ready), and nothing left half-used after a timeout.
    """

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url_value).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._timeout = settings.readyz_timeout_seconds
        self._server_settings = {
            "application_name": "dmi-api-readiness",
            "statement_timeout": str(int(self._timeout * 1000)),
        }

    async def check(self) -> None:
        """Return when the database answers within the timeout; `DatabaseUnavailableError`
        (503) otherwise."""
        conn: Any = None
        await load_revisions()
        try:
            async with asyncio.timeout(self._timeout):
                conn = await asyncpg.connect(
                    self._dsn, timeout=self._timeout, server_settings=self._server_settings
                )
                # Missing (not migrated) or not readable by this role (behind: the grant
                # came with a later migration) fail as the server being down does: 503.
                revision = await conn.fetchval("SELECT version_num FROM alembic_version")
                await conn.close()
            check_schema_revision(revision)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseUnavailableError(type(exc).__name__) from None
        finally:
            if conn is not None and not conn.is_closed():
                conn.terminate()

    async def close(self) -> None:
        """Nothing stays open between probes."""
