"""Our signing keys, shared by every worker and replica through the database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dmi_api.auth.token_memo import VerifiedTokens
from dmi_api.config import Settings
from dmi_api.db import DbSessionMaker
from dmi_api.models import SigningKey
from dmi_api.models.columns import utcnow
from dmi_api.security.access_tokens import SigningKeySet
from dmi_api.security.key_crypto import (
    decrypt_private_key,
    encrypt_private_key,
    generate_signing_key,
)

# After an unknown `kid`, look in the database again at most this often (a flood of forged
# kids must not become a flood of queries).
_UNKNOWN_KID_RELOAD_SECONDS = 5.0
# What a rotation waits beyond the refresh interval before the new key signs, besides the clock
# skew allowed between machines (`DMI_TOKEN_LEEWAY_SECONDS`): the rotation's own commit.
_SWITCH_MARGIN_SECONDS = 1.0
# How long past its verification window a key is still loaded, to attribute the denials of the
# tokens it signed (they are refused either way).
_ATTRIBUTION_WINDOW = timedelta(days=365)
# Key sets already parsed in this process, by what they hold (a key never changes under its
# kid): a key ring made after another (an app per test, a CLI command) does not pay the RSA
# key validation again. Few entries: a set changes only when keys are rotated.
_ParsedKey = tuple[str, str, frozenset[str], frozenset[str]]
_parsed: dict[_ParsedKey, SigningKeySet] = {}
_PARSED_KEPT = 8
# The advisory lock (PostgreSQL) under which the first key of a database is made: "dmi_key".
_FIRST_KEY = 0x646D695F6B6579


def publish_delay(settings: Settings) -> timedelta:
    """How long a new key is published before it signs: by then every worker and replica has
    reloaded its key set (each does at least once per refresh interval) and verifies it."""
    return timedelta(
        seconds=settings.signing_key_refresh_seconds
        + settings.token_leeway_seconds
        + _SWITCH_MARGIN_SECONDS
    )


class KeyRing:
    """A cached `SigningKeySet` reloaded from the database periodically and on rotation."""

    def __init__(self, settings: Settings, sessionmaker: Callable[[], DbSessionMaker]) -> None:
        self._settings = settings
        # A provider, not the maker itself: tests rebind the app's sessions after creation.
        self._sessionmaker = sessionmaker
        self._keys: SigningKeySet | None = None
        self._loaded_at = 0.0
        # When the loaded set must be read again: the refresh interval, or sooner when a
        # published key starts signing (or the signing one retires) before then.
        self._stale_at = 0.0
        self._loads = 0  # how many times the set was loaded (a waiter sees whether one ran)
        self._lock = asyncio.Lock()
        # Tokens verified with these keys (a hit needs the token's key still in the set).
        self.verified = VerifiedTokens(leeway_seconds=settings.token_leeway_seconds)

    def verification_window(self) -> timedelta:
        """How long a retired key keeps verifying: the longest token it may have signed."""
        s = self._settings
        return timedelta(
            seconds=s.token_lifetime_seconds
            + s.signing_key_refresh_seconds
            + 2 * s.token_leeway_seconds
        )

    async def current(self) -> SigningKeySet:
        """The key set, reloaded when older than the refresh interval.

        The requests that find it stale together get one reload: those that waited for it take
        its result instead of reloading again one after the other (which stalled every request
        of the worker for as many reloads as there were requests in flight, once a minute).
        """
        keys = self._keys
        if keys is None or time.monotonic() > self._stale_at:
            return await self._reload(min_age=0.0, unless_loaded_since=self._loads)
        return keys

    async def refresh(self) -> SigningKeySet:
        """Reload now (after `keys rotate` in this process, or in tests)."""
        return await self._reload(min_age=0.0)

    async def for_kid(self, kid: str | None) -> SigningKeySet:
        """The key set, reloaded first when it does not know `kid` (a rotation elsewhere)."""
        keys = await self.current()
        if kid is None or kid in keys.kids or kid in keys.retired_kids:
            return keys
        return await self._reload(min_age=_UNKNOWN_KID_RELOAD_SECONDS)

    async def _reload(
        self, *, min_age: float, unless_loaded_since: int | None = None
    ) -> SigningKeySet:
        async with self._lock:
            if self._keys is not None and (
                time.monotonic() - self._loaded_at < min_age
                or (unless_loaded_since is not None and self._loads != unless_loaded_since)
            ):
                return self._keys
            # Stamped before the read: the set holds every key published before this moment
            # (what `publish_delay` relies on), however long the read takes.
            started = time.monotonic()
            self._keys, switch_in = await self._load_or_create()
            self._loaded_at = started
            refresh = self._settings.signing_key_refresh_seconds
            self._stale_at = started + min(refresh, switch_in)
            self._loads += 1
            return self._keys

    async def _load_or_create(self) -> tuple[SigningKeySet, float]:
        """The key set, and the seconds until a key starts signing or retires (or infinity)."""
        async with self._sessionmaker()() as db:
            now, rows, past = await self._read(db)
            schedule = Schedule.of(rows, now)
            if schedule.signing is None and db.get_bind().dialect.name == "postgresql":
                # A new database, whose workers and replicas all start at once: one of them
                # makes the first key, the others wait for it and read it (each made its own,
                # and refused the others' tokens until it looked again).
                await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FIRST_KEY})
                now, rows, past = await self._read(db)
                schedule = Schedule.of(rows, now)
            active = schedule.signing
            if active is None:
                # No key signs now (a new database): one that signs at once, as no worker
                # can hold a token of it yet.
                active = _new_key_row(self._settings, signs_from=now)
                db.add(active)
                await db.commit()
                rows = [active, *rows]
            switch_in = (
                float("inf")
                if schedule.next_change is None
                else (schedule.next_change - now).total_seconds()
            )
            return await self._key_set(active, rows, past), switch_in

    async def _read(self, db: AsyncSession) -> tuple[datetime, list[SigningKey], list[SigningKey]]:
        """Now, the keys that verify now, and the older ones kept to attribute their tokens."""
        now = utcnow()
        verifies_since = now - self.verification_window()
        retired = col(SigningKey.retired_at)
        loaded = select(SigningKey).where(
            or_(retired.is_(None), retired > verifies_since - _ATTRIBUTION_WINDOW)
        )
        statement = loaded.order_by(col(SigningKey.created_at).desc())
        rows: list[SigningKey] = []
        past: list[SigningKey] = []
        for row in (await db.execute(statement)).scalars():
            verifies = row.retired_at is None or row.retired_at > verifies_since
            (rows if verifies else past).append(row)
        return now, rows, past

    async def _key_set(
        self, active: SigningKey, rows: list[SigningKey], past: list[SigningKey]
    ) -> SigningKeySet:
        # The same keys (a key never changes under its kid) are the same parsed set: no parsing.
        secret = self._settings.secret_key.get_secret_value()
        held = (
            secret,
            active.kid,
            frozenset(row.kid for row in rows),
            frozenset(row.kid for row in past),
        )
        parsed = _parsed.get(held)
        if parsed is None:
            # ~25 ms of RSA key validation: off the event loop, other requests keep flowing.
            parsed = await asyncio.to_thread(
                SigningKeySet,
                active.kid,
                decrypt_private_key(active.private_key_encrypted, secret),
                [row.public_jwk for row in rows],
                [row.public_jwk for row in past],
            )
            if len(_parsed) >= _PARSED_KEPT:
                _parsed.pop(next(iter(_parsed)))
            _parsed[held] = parsed
        return parsed


@dataclass(frozen=True)
class Schedule:
    """Which of the loaded keys signs now, and when that next changes."""

    signing: SigningKey | None
    next_change: datetime | None

    @classmethod
    def of(cls, rows: list[SigningKey], now: datetime) -> Schedule:
        """The newest key whose signing period holds `now`; the next start or end of one."""
        signing = max(
            (
                row
                for row in rows
                if row.signs_from <= now and (row.retired_at is None or row.retired_at > now)
            ),
            key=lambda row: row.signs_from,
            default=None,
        )
        changes = [
            moment
            for row in rows
            for moment in (row.signs_from, row.retired_at)
            if moment is not None and moment > now
        ]
        return cls(signing, min(changes, default=None))


def _new_key_row(settings: Settings, *, signs_from: datetime) -> SigningKey:
    generated = generate_signing_key()
    return SigningKey(
        kid=generated.kid,
        signs_from=signs_from,
        public_jwk=generated.public_jwk,
        private_key_encrypted=encrypt_private_key(
            generated.private_pem, settings.secret_key.get_secret_value()
        ),
    )


@dataclass(frozen=True)
class Rotation:
    """A key published now, and the moment it starts signing (the previous key stops)."""

    kid: str
    signs_from: datetime


async def rotate_signing_key(sessionmaker: DbSessionMaker, settings: Settings) -> Rotation:
    """Publish a new key now; it signs after `publish_delay`, when every worker verifies it.

    The key signing until then retires at that moment (and verifies until its tokens expire);
    a key of an earlier rotation that is still waiting signs from its own moment until this
    one's.
    """
    async with sessionmaker() as db:
        signs_from = utcnow() + publish_delay(settings)
        retired = col(SigningKey.retired_at)
        # This secret must be the servers': a key they cannot decrypt would fail every token
        # request and JWKS once it signs. The keys still to sign prove it (KeyDecryptionError).
        secret = settings.secret_key.get_secret_value()
        for kept in (await db.execute(select(SigningKey).where(retired.is_(None)))).scalars():
            decrypt_private_key(kept.private_key_encrypted, secret)
        await db.execute(
            update(SigningKey)
            .where(or_(retired.is_(None), retired > signs_from))
            .values(retired_at=signs_from)
        )
        row = _new_key_row(settings, signs_from=signs_from)
        db.add(row)
        await db.commit()
        return Rotation(row.kid, signs_from)
