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


@contextlib.asynccontextmanager
async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit when the block succeeds, roll back when it raises."""
    sessionmaker: DbSessionMaker = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            # A dead connection must not mask the error that brought us here.
            with contextlib.suppress(sa_exc.DBAPIError, OSError, TimeoutError):
                await session.rollback()
            raise
        await session.commit()


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
