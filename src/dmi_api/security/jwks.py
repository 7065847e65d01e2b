"""The shape of a client's public JWKS (members, types, curves, sizes), without parsing keys.

Parsing the key material needs python-jose, which only `security/jws.py` imports; this module
is what request schemas can check on their own.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

ASSERTION_ALGORITHMS = ("RS256", "RS384", "ES256", "ES384")
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384"}
_CLIENT_KEY_MEMBERS = {"RSA": ("n", "e"), "EC": ("crv", "x", "y")}
_MIN_RSA_BITS = 2048
# Big enough for any real key; bigger ones only make each verification slower.
_MAX_RSA_BITS = 8192
_MAX_CLIENT_KEYS = 10


def b64url_uint(value: str) -> int:
    """The unsigned integer a base64url JWK member encodes; `binascii.Error` when it is not."""
    raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    return int.from_bytes(raw, "big")


def public_client_jwk(key: object) -> dict[str, str]:
    """A client's public RSA or EC signing JWK, reduced to its public members; else ValueError."""
    if not isinstance(key, Mapping):
        raise ValueError("each key must be a JSON object")
    if PRIVATE_MEMBERS & key.keys():
        raise ValueError("keys must be public: private key members are not accepted")
    kty = key.get("kty")
    required = _CLIENT_KEY_MEMBERS.get(kty) if isinstance(kty, str) else None
    if required is None:
        raise ValueError("only RSA and EC keys are accepted")
    public: dict[str, str] = {}
    for name in ("kty", *required, "kid", "use", "alg"):
        if name in key or name in required:
            value = key.get(name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"JWK member {name} must be a non-empty string")
            public[name] = value
    if public.get("use", "sig") != "sig":
        raise ValueError("keys must be signing keys (use: sig)")
    if "alg" in public and not key_fits(public, public["alg"]):
        raise ValueError("key alg is not allowed for this key")
    if kty == "EC" and public["crv"] not in _EC_CURVES.values():
        raise ValueError("EC keys must use P-256 or P-384")
    if kty == "RSA" and not _MIN_RSA_BITS <= b64url_uint(public["n"]).bit_length() <= _MAX_RSA_BITS:
        raise ValueError(f"RSA keys must have {_MIN_RSA_BITS} to {_MAX_RSA_BITS} bits")
    return public


def key_fits(key: Mapping[str, str], alg: str) -> bool:
    """Whether `alg` is an assertion algorithm usable with `key` (type, curve and declared alg)."""
    if alg not in ASSERTION_ALGORITHMS or key.get("alg", alg) != alg:
        return False
    if key["kty"] == "RSA":
        return alg.startswith("RS")
    return _EC_CURVES.get(alg) == key["crv"]


def key_alg(key: Mapping[str, str]) -> str:
    """The algorithm a public client key is used with (its declared one, else its type's)."""
    if "alg" in key:
        return key["alg"]
    if key["kty"] == "RSA":
        return "RS256"
    return next(alg for alg, curve in _EC_CURVES.items() if curve == key["crv"])


def client_jwks_shape(jwks: Mapping[str, Any]) -> dict[str, Any]:
    """A client's JWKS reduced to 1-10 public RSA/EC signing keys with unique kids; else
    ValueError. The keys themselves are parsed by `client_assertions.validate_client_jwks`."""
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not 1 <= len(keys) <= _MAX_CLIENT_KEYS:
        raise ValueError(f"jwks must be {{'keys': [...]}} with 1 to {_MAX_CLIENT_KEYS} keys")
    try:
        public = [public_client_jwk(key) for key in keys]
    except binascii.Error:  # a ValueError too, but with a message meant for nobody
        raise ValueError("key members must be base64url") from None
    kids = [key["kid"] for key in public if "kid" in key]
    if len(kids) != len(set(kids)):
        raise ValueError("kid values must be unique")
    return {"keys": public}
