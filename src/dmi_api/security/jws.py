"""Reading, verifying and signing compact JWS; the only user of python-jose.

Every decode names its algorithm, audience and issuer and requires aud, iss, sub and jti; the
time claims are checked here because jose cannot take `now`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from jose import jwk, jwt

FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})
MAX_ID_CHARS = 255

# Real tokens are well under 2 KiB; anything this big is refused before any parsing.
_MAX_TOKEN_CHARS = 8192
# An empty signature is let through here so that `alg: none` is refused for its algorithm.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# jose reports these fixed messages; anything else gets a generic reason (its texts may embed data).
_JOSE_REASONS = {
    "Signature verification failed.": "bad signature",
    "Invalid audience": "wrong aud",
    "Invalid issuer": "wrong iss",
    "Invalid subject": "wrong sub",
    "Invalid claim format in token": "malformed aud",
    "Subject must be a string.": "malformed sub",
    "JWT ID must be a string.": "malformed jti",
}
_MISSING_CLAIM = re.compile(r'missing required key "([a-z_]+)" among claims')
# jose compares exp/iat/nbf with the wall clock and cannot take `now`, and coerces them with int()
# (accepting "123", raising TypeError on a list): those three are checked here instead.
_JOSE_OPTIONS = {
    "require_aud": True,
    "require_iss": True,
    "require_sub": True,
    "require_jti": True,
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
}


class RejectError(Exception):
    """A token was refused; `reason` is short and safe to log (never the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def construct_key(key: Any, alg: str) -> Any:
    """A jose key object for `alg`, parsed once; `ValueError` when it does not parse."""
    try:
        return jwk.construct(key, algorithm=alg)
    except Exception as exc:  # jose raises JWKError, ValueError or binascii.Error
        raise ValueError("unparseable key") from exc


def sign(payload: Mapping[str, Any], key: Any, alg: str, headers: Mapping[str, str]) -> str:
    """A compact JWS of `payload` signed with a constructed key."""
    token: str = jwt.encode(dict(payload), key, algorithm=alg, headers=dict(headers))
    return token


def read_header(token: object) -> dict[str, Any]:
    """The unverified header of a compact JWS, after cheap shape checks."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
        raise RejectError("malformed token")
    if _COMPACT_JWS.fullmatch(token) is None:
        raise RejectError("malformed token")
    try:
        header = jwt.get_unverified_header(token)
    except Exception:  # jose wraps most errors, but not every one it can meet
        raise RejectError("malformed token") from None
    if not isinstance(header, dict):
        raise RejectError("malformed header")
    if FORBIDDEN_HEADERS & header.keys():
        # Keys come only from our own records, never from the token; `crit` we never honour.
        raise RejectError("forbidden header")
    return header


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The claims of a well-shaped JWS without checking anything else; None when unreadable."""
    try:
        read_header(token)
        claims = jwt.get_unverified_claims(token)
    except Exception:  # anything unreadable simply names no one
        return None
    return claims if isinstance(claims, dict) else None


def decode(token: str, key: Any, alg: str, **expected: str) -> dict[str, Any]:
    """Signature, aud, iss (and sub when given) and presence of aud/iss/sub/jti, via jose."""
    try:
        claims = jwt.decode(token, key, algorithms=[alg], options=dict(_JOSE_OPTIONS), **expected)
    except Exception as exc:  # jose can leak TypeError, OverflowError... on hostile input
        message = str(exc)
        missing = _MISSING_CLAIM.fullmatch(message)
        reason = f"missing {missing.group(1)}" if missing else _JOSE_REASONS.get(message)
        raise RejectError(reason or "rejected by JWT library") from None
    if not isinstance(claims, dict):
        raise RejectError("malformed claims")
    return claims


def string_claim(claims: Mapping[str, Any], name: str, *, allow_empty: bool = False) -> str:
    """A string claim, else `RejectError`."""
    value = claims.get(name)
    if not isinstance(value, str) or not (value or allow_empty):
        raise RejectError(f"missing or malformed {name}")
    return value


def _date(claims: Mapping[str, Any], name: str) -> int | None:
    if name not in claims:
        return None
    value = claims[name]
    # bool is an int, and NaN/Infinity parse as floats: none of them is a NumericDate.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RejectError(f"malformed {name}")
    return int(value)


def required_date(claims: Mapping[str, Any], name: str) -> int:
    """A NumericDate claim that must be there."""
    value = _date(claims, name)
    if value is None:
        raise RejectError(f"missing {name}")
    return value


def check_not_before(claims: Mapping[str, Any], now: int, leeway: int) -> None:
    """Refused when iat or nbf is in the future (beyond the leeway)."""
    for name, reason in (("iat", "iat in the future"), ("nbf", "not yet valid (nbf)")):
        value = _date(claims, name)
        if value is not None and value - leeway > now:
            raise RejectError(reason)
