"""A worker's signing key set: reloaded from the database once per interval, not per request."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from dmi_api.auth.signing_keys import KeyRing, rotate_signing_key
from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker


def _counting(app: FastAPI) -> tuple[KeyRing, list[int]]:
    """A key ring on the app's sessions, refreshed every second, counting its database loads."""
    loads: list[int] = []

    def sessions() -> DbSessionMaker:
        loads.append(1)
        maker: DbSessionMaker = app.state.sessionmaker
        return maker

    settings: Settings = app.state.settings.model_copy(update={"signing_key_refresh_seconds": 1})
    return KeyRing(settings, sessions), loads


async def test_requests_that_find_the_keys_stale_share_one_reload(app: FastAPI) -> None:
    keyring, loads = _counting(app)
    first = await asyncio.gather(*(keyring.current() for _ in range(20)))
    assert len(loads) == 1
    assert all(keys is first[0] for keys in first)
    await asyncio.sleep(1.1)  # stale now: twenty requests in flight find it so together
    again = await asyncio.gather(*(keyring.current() for _ in range(20)))
    assert len(loads) == 2
    assert all(keys is again[0] for keys in again)
    assert await keyring.current() is again[0]  # fresh: no load
    assert len(loads) == 2


async def test_a_reload_keeps_the_parsed_set_until_the_keys_change(app: FastAPI) -> None:
    keyring, loads = _counting(app)
    first = await keyring.current()
    assert await keyring.refresh() is first  # the same keys in the database: the same set
    await rotate_signing_key(app.state.sessionmaker, app.state.settings)
    rotated = await keyring.refresh()
    assert rotated is not first
    assert rotated.active_kid == first.active_kid  # published, not signing yet
    assert first.kids < rotated.kids
    assert await keyring.refresh() is rotated
    assert len(loads) == 4


async def test_an_explicit_refresh_always_reloads(app: FastAPI) -> None:
    keyring, loads = _counting(app)
    await keyring.current()
    await asyncio.gather(keyring.refresh(), keyring.refresh())
    assert len(loads) == 3
