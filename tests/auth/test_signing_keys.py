"""A worker's signing key set: reloaded from the database once per interval, not per request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dmi_api.auth.signing_keys import KeyRing, rotate_signing_key
from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker, create_engine, create_sessionmaker
from dmi_api.models import SigningKey
from tests.conftest import _admin_execute
from tests.support.pg_server import PgServer


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


def _provider(maker: DbSessionMaker) -> Callable[[], DbSessionMaker]:
    return lambda: maker


@pytest.mark.postgres_only
async def test_workers_starting_together_on_a_new_database_make_one_signing_key(
    pg_server: PgServer, settings: Settings
) -> None:
    """Replicas deployed on a new database load their keys at once: one of them makes the
    first key and all sign with it (each made its own, and refused the others' tokens until it
    looked again: `make scale-check` saw 4 keys and 401s across replicas)."""
    name = f"dmi_test_keys_{uuid.uuid4().hex[:12]}"
    await _admin_execute(pg_server.admin_url, f'CREATE DATABASE "{name}"')
    url = make_url(pg_server.admin_url).set(database=name).render_as_string(hide_password=False)
    fresh = settings.model_copy(update={"database_url": SecretStr(url)})
    engines = [create_engine(fresh) for _ in range(4)]  # four workers, a pool each
    try:
        async with engines[0].begin() as conn:
            await conn.run_sync(SigningKey.__table__.create)  # type: ignore[attr-defined]
        for engine in engines:  # connected: the four first reads leave together
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        rings = [KeyRing(fresh, _provider(create_sessionmaker(e))) for e in engines]
        sets = await asyncio.gather(*(ring.current() for ring in rings))
        async with engines[0].connect() as conn:
            made = (await conn.execute(text("SELECT count(*) FROM signing_key"))).scalar_one()
    finally:
        for engine in engines:
            await engine.dispose()
        await _admin_execute(pg_server.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert made == 1
    assert len({keys.active_kid for keys in sets}) == 1
