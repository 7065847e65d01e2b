"""Client-secret generation and slow (scrypt) hashing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

# scrypt's cost (N, r, p) for new hashes and for the dummy check of an unknown client; a stored
# hash is checked with the cost it records, so raising this never locks a client out.
HASH_COST: tuple[int, int, int] = (2**14, 8, 1)
_SALT_BYTES = 16
_HASH_BYTES = 32
# Parameters read back from storage are bounded: a corrupt row must not cost gigabytes.
_MAX_MEMORY = 64 * 1024 * 1024
# Longer inputs cannot be one of our secrets; bounding them bounds the work an attacker buys.
_MAX_SECRET_CHARS = 512
_DUMMY_SALT = b"dmi-api-dummy-16"
_B64 = r"([A-Za-z0-9+/]+={0,2})"
_FORMAT = re.compile(rf"scrypt\$([0-9]{{1,8}})\$([0-9]{{1,2}})\$([0-9]{{1,2}})\${_B64}\${_B64}")


def generate_client_secret() -> str:
    """A new random client secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=_MAX_MEMORY + 1024 * 1024,
        dklen=_HASH_BYTES,
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_client_secret(secret: str) -> str:
    """Hash a secret as `scrypt$N$r$p$<salt b64>$<hash b64>`."""
    salt = secrets.token_bytes(_SALT_BYTES)
    n, r, p = HASH_COST
    digest = _scrypt(secret, salt, n, r, p)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    match = _FORMAT.fullmatch(stored)
    if match is None:
        return None
    n, r, p = (int(group) for group in match.group(1, 2, 3))
    if n < 2 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 4 or 128 * n * r > _MAX_MEMORY:
        return None
    try:
        salt = base64.b64decode(match.group(4), validate=True)
        digest = base64.b64decode(match.group(5), validate=True)
    except binascii.Error:
        return None
    if len(salt) < _SALT_BYTES or len(digest) != _HASH_BYTES:
        return None
    return n, r, p, salt, digest


def verify_client_secret(secret: str, stored: str | None) -> bool:
    """Whether `secret` matches `stored`; always one scrypt, so timing hides unknown clients."""
    parsed = _parse(stored) if stored is not None else None
    if parsed is None or len(secret) > _MAX_SECRET_CHARS:
        # The same slow hash a real check costs, so the answer takes as long either way.
        _scrypt(secret[:_MAX_SECRET_CHARS], _DUMMY_SALT, *HASH_COST)
        return False
    n, r, p, salt, digest = parsed
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p), digest)
