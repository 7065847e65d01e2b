"""The API with one piece of hand-made machinery swapped for the library's (`--compare-variants`).

Each factory builds the real app (`dmi_api.app.create_app`, settings from the environment as
`uvicorn --factory` gives them) and changes one thing:

- `create_app_asyncpg_pool`: the direct statements' connections come from `asyncpg.Pool`
  (`asyncpg.create_pool`) instead of the app's own `ConnectionPool`: the same size, connection
  class, server settings, timeouts and idle lifetime, the same per-route shares
  (`RouteLimits`) and the same clinic binding (rebound only when it changes). Its release
  `reset` is a no-op: asyncpg then still runs `Connection._reset()` (a `ROLLBACK` only when a
  transaction is open: never after a direct statement) but not its default reset query
  (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`), which would cost a
  round trip per release and lose the binding.
- `create_app_without_fast_params`: every route takes FastAPI's dependency solver
  (`DmiRoute.fast_handler` set to None, as tests/records/test_fast_params.py does). A route
  plans its bypass once, when it is made: FastAPI builds an included router's routes again at
  the first request (asking each for its handler), which had planned the bypass anew and made
  this variant the app itself (runs 23-27 of bench/README.md).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI

from dmi_api.app import create_app
from dmi_api.auth.principal import Principal
from dmi_api.config import get_settings
from dmi_api.db import driver_timeout_seconds
from dmi_api.direct import bound_db
from dmi_api.direct.bound_db import BoundConnection, DirectDb, PoolSource
from dmi_api.http.routing import DmiRoute
from dmi_api.stores import build_stores

_IDLE_SECONDS = 300  # as the app's own pool


async def _keep_session(_conn: Any) -> None:
    """asyncpg's release hook: nothing to reset (each statement is its own transaction)."""


class AsyncpgPoolSource(PoolSource):
    """`PoolSource` with its connections from `asyncpg.Pool`, created on first use (the pool
    belongs to the serving event loop)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._asyncpg_pool: asyncpg.Pool | None = None
        self._starting = asyncio.Lock()

    async def _started(self) -> asyncpg.Pool:
        async with self._starting:
            if self._asyncpg_pool is None:
                s = self._settings
                self._asyncpg_pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=0,
                    max_size=s.direct_pool_size,
                    max_inactive_connection_lifetime=_IDLE_SECONDS,
                    connection_class=BoundConnection,
                    reset=_keep_session,
                    timeout=s.db_connect_timeout_seconds,
                    command_timeout=driver_timeout_seconds(s.db_statement_timeout_ms),
                    server_settings=self._server_settings,
                )
            return self._asyncpg_pool

    @asynccontextmanager
    async def connection(self, principal: Principal) -> AsyncIterator[Any]:
        """A connection of asyncpg's pool, bound to the principal, within the route's share."""
        route, limits = bound_db._route.get(), self.limits
        if not limits.try_acquire(route):
            await limits.acquire(route)
        try:
            pool = self._asyncpg_pool or await self._started()
            timeout = self._settings.db_pool_timeout_seconds
            async with pool.acquire(timeout=timeout) as conn:
                if getattr(conn, "dmi_binding", None) != (principal.clinic_id, principal.client_id):
                    await bound_db._bind(conn, principal, remember=True)
                yield conn
        finally:
            limits.release(route)

    def open(self) -> None:
        """Nothing to reopen: the pool is created on first use."""

    async def close(self) -> None:
        """Close asyncpg's pool (at shutdown)."""
        if self._asyncpg_pool is not None:
            pool, self._asyncpg_pool = self._asyncpg_pool, None
            await pool.close()


def create_app_asyncpg_pool() -> FastAPI:
    """The app with `asyncpg.Pool` under its direct statements."""
    settings = get_settings()
    app = create_app(settings)
    app.state.direct = DirectDb(AsyncpgPoolSource(settings))
    app.state.stores = build_stores(app.state.direct)  # the stores serve on it, as create_app's
    return app


def _dmi_routes(routes: list[Any]) -> Iterator[DmiRoute]:
    for route in routes:
        if isinstance(route, DmiRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _dmi_routes(route.original_router.routes)


def fast_param_routes(app: FastAPI) -> list[str]:
    """`METHOD path` of the routes `fast_params.plan` serves."""
    return [
        f"{','.join(sorted(route.methods or ()))} {route.path}"
        for route in _dmi_routes(app.router.routes)
        if route.fast_handler is not None
    ]


def create_app_without_fast_params() -> FastAPI:
    """The app with FastAPI's dependency solver on every route."""
    app = create_app()
    for route in _dmi_routes(app.router.routes):
        route.fast_handler = None
    return app


VARIANTS = {
    "asyncpg_pool": "bench.variants:create_app_asyncpg_pool",
    "no_fast_params": "bench.variants:create_app_without_fast_params",
}

if __name__ == "__main__":
    os.environ.setdefault("DMI_SECRET_KEY", "x" * 40)
    print("\n".join(fast_param_routes(create_app())))
