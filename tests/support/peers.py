"""In-process clients of an app whose requests come from a given address, as uvicorn reports
the peer (the token endpoint counts and locks per source address)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import FastAPI

Peer = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


def peers_of(app: FastAPI) -> Peer:
    """`peer(address)`: a client of `app` whose requests come from `address`."""

    @asynccontextmanager
    async def connect(address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    return connect
