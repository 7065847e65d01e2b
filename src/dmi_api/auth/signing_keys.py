"""Our signing keys, shared by every worker and replica through the database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, select, update
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


class KeyRing:
    """A cached `SigningKeySet` reloaded from the database periodically and on rotation."""

    def __init__(self, settings: Settings, sessionmaker: Callable[[], DbSessionMaker]) -> None:
        self._settings = settings
        # A provider, not the maker itself: tests rebind the app's sessions after creation.
        self._sessionmaker = sessionmaker
        self._keys: SigningKeySet | None = None
        self._loaded_at = 0.0
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
        if (
            keys is None
            or time.monotonic() - self._loaded_at > self._settings.signing_key_refresh_seconds
        ):
            return await self._reload(min_age=0.0, unless_loaded_since=self._loads)
        return keys

    async def refresh(self) -> SigningKeySet:
        """Reload now (after `keys rotate` in this process, or in tests)."""
        return await self._reload(min_age=0.0)

    async def for_kid(self, kid: str | None) -> SigningKeySet:
        """The key set, reloaded first when it does not know `kid` (a rotation elsewhere)."""
        keys = await self.current()
        if kid is None or kid in keys.kids:
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
            self._keys = await self._load_or_create()
            self._loaded_at = time.monotonic()
            self._loads += 1
            return self._keys

    async def _load_or_create(self) -> SigningKeySet:
        async with self._sessionmaker()() as db:
            since = utcnow() - self.verification_window()
            retired = col(SigningKey.retired_at)
            live = select(SigningKey).where(or_(retired.is_(None), retired > since))
            statement = live.order_by(col(SigningKey.created_at).desc())
            rows = list((await db.execute(statement)).scalars())
            active = next((row for row in rows if row.retired_at is None), None)
            if active is None:
                active = _new_key_row(self._settings)
                db.add(active)
                await db.commit()
                rows = [active, *rows]
            current = self._keys
            if (
                current is not None
                and current.active_kid == active.kid
                and current.kids == frozenset(row.kid for row in rows)
            ):
                return current  # the same keys (a key never changes under its kid): no parsing
            secret = self._settings.secret_key.get_secret_value()
            # ~25 ms of RSA key validation: off the event loop, other requests keep flowing.
            return await asyncio.to_thread(
                SigningKeySet,
                active.kid,
                decrypt_private_key(active.private_key_encrypted, secret),
                [row.public_jwk for row in rows],
            )


def _new_key_row(settings: Settings) -> SigningKey:
    generated = generate_signing_key()
    return SigningKey(
        kid=generated.kid,
        public_jwk=generated.public_jwk,
        private_key_encrypted=encrypt_private_key(
            generated.private_pem, settings.secret_key.get_secret_value()
        ),
    )


async def rotate_signing_key(sessionmaker: DbSessionMaker, settings: Settings) -> str:
    """Add a key that signs from now on; the previous ones only verify until they age out."""
    async with sessionmaker() as db:
        now = utcnow()
        await db.execute(
            update(SigningKey).where(col(SigningKey.retired_at).is_(None)).values(retired_at=now)
        )
        row = _new_key_row(settings)
        db.add(row)
        await db.commit()
        return row.kid
