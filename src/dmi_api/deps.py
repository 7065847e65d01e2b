"""Request-scoped dependencies: the database session that commits at the request boundary."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

import sqlalchemy.exc as sa_exc
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker
from dmi_api.route_limits import RouteLimits


@contextlib.asynccontextmanager
async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit when the block succeeds, roll back when it raises.

    The route holds at most its share of the pool (`RouteLimits`) while the session is open.
    """
    state = request.app.state
    sessionmaker: DbSessionMaker = state.sessionmaker
    limits: RouteLimits = state.route_limits
    route = id(request.scope.get("route"))  # routes live as long as the app; not hashable
    await limits.acquire(route)
    try:
        async with sessionmaker() as session:
            try:
                yield session
            except BaseException as exc:
                # A dead connection must not mask the error that brought us here.
                with contextlib.suppress(sa_exc.DBAPIError, OSError, TimeoutError):
                    if isinstance(exc, TimeoutError | OSError):
                        # The server stopped answering (the driver's timeout) or the link
                        # broke: a ROLLBACK would wait again. Drop the connection at once.
                        await session.invalidate()
                    else:
                        await session.rollback()
                raise
            await session.commit()
    finally:
        limits.release(route)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed at the request boundary (`request_session`)."""
    async with request_session(request) as session:
        yield session


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


# "function" scope: the commit runs before the response is sent, so a failed commit becomes an
# error response instead of a success the database never recorded.
DbSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
