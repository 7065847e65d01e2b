"""Access tokens (RFC 9068) and client assertions (RFC 7523); the only user of python-jose."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from dmi_api.security.jwks import (
    ASSERTION_ALGORITHMS,
    PRIVATE_MEMBERS,
    b64url_uint,
    client_jwks_shape,
    key_alg,
    key_fits,
    public_client_jwk,
)
from dmi_api.text import is_storable_text

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a credential
ALGORITHM = "RS256"
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})

# Real tokens are well under 2 KiB; anything this big is refused before any parsing.
_MAX_TOKEN_CHARS = 8192
# An empty signature is let through here so that `alg: none` is refused for its algorithm.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_ACCESS_TOKEN_TYPES = frozenset({ACCESS_TOKEN_TYPE, "application/" + ACCESS_TOKEN_TYPE})
_MAX_ID_CHARS = 255
_EXPIRED = "expired"
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


class InvalidTokenError(Exception):
    """An access token was refused; `reason` is short and safe to log (never the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ExpiredTokenError(InvalidTokenError):
    """One of our access tokens, genuine but past its `exp` (and the leeway)."""


class InvalidAssertionError(Exception):
    """A client assertion was refused; `reason` is short and safe to log (never the assertion)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _RejectError(Exception):
    """Raised by the shared checks; each public entry point turns it into its own error type."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AccessTokenClaims:
    """The claims of one of our access tokens (`sub` is always the client id)."""

    issuer: str
    audience: str
    client_id: str
    clinic_id: str
    scope: str
    issued_at: int
    expires_at: int
    jti: str


@dataclass(frozen=True)
class ClientAssertion:
    """A verified client assertion; the caller must still record `jti` to refuse replays."""

    jti: str
    expires_at: int


def _public_rsa_jwk(key: Mapping[str, str]) -> dict[str, str]:
    """Our own public JWK, reduced to its public members; `ValueError` for anything else."""
    if key.get("kty") != "RSA" or PRIVATE_MEMBERS & key.keys():
        raise ValueError("verification keys must be public RSA JWKs")
    if key.get("use", "sig") != "sig" or key.get("alg", ALGORITHM) != ALGORITHM:
        raise ValueError("verification keys must be RS256 signing keys")
    kid, n, e = key.get("kid"), key.get("n"), key.get("e")
    if not (isinstance(kid, str) and kid and isinstance(n, str) and isinstance(e, str)):
        raise ValueError("verification keys need kid, n and e")
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": ALGORITHM, "n": n, "e": e}


class SigningKeySet:
    """Our own keys: one active signing key plus verification-only keys, each parsed ONCE."""

    def __init__(
        self,
        active_kid: str,
        active_private_pem: bytes,
        verification_jwks: Sequence[Mapping[str, str]],
    ) -> None:
        self._jwks = tuple(_public_rsa_jwk(key) for key in verification_jwks)
        self._verifiers: dict[str, Any] = {}
        for key in self._jwks:
            if key["kid"] in self._verifiers:
                raise ValueError("duplicate kid in verification keys")
            try:
                self._verifiers[key["kid"]] = jwk.construct(key, algorithm=ALGORITHM)
            except Exception as exc:  # jose raises JWKError, ValueError or binascii.Error
                raise ValueError("unparseable verification key") from exc
        active = next((key for key in self._jwks if key["kid"] == active_kid), None)
        if active is None:
            raise ValueError("the active key's public JWK must be among the verification keys")
        private = serialization.load_pem_private_key(active_private_pem, password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise ValueError("the active signing key must be an RSA private key")
        public = private.public_key().public_numbers()
        if (public.n, public.e) != (b64url_uint(active["n"]), b64url_uint(active["e"])):
            raise ValueError("the active private key does not match its public JWK")
        self._active_kid = active_kid
        self._signer: Any = jwk.construct(private, algorithm=ALGORITHM)

    @property
    def active_kid(self) -> str:
        """The kid new tokens are signed with."""
        return self._active_kid

    @property
    def kids(self) -> frozenset[str]:
        """The ids of every key that verifies (the active one included)."""
        return frozenset(self._verifiers)

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS to publish: kty, kid, use, alg, n and e of each key, nothing else."""
        return {"keys": [dict(key) for key in self._jwks]}


def _read_header(token: object) -> dict[str, Any]:
    """The unverified header of a compact JWS, after cheap shape checks."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
        raise _RejectError("malformed token")
    if _COMPACT_JWS.fullmatch(token) is None:
        raise _RejectError("malformed token")
    try:
        header = jwt.get_unverified_header(token)
    except Exception:  # jose wraps most errors, but not every one it can meet
        raise _RejectError("malformed token") from None
    if not isinstance(header, dict):
        raise _RejectError("malformed header")
    if FORBIDDEN_HEADERS & header.keys():
        # Keys come only from our own records, never from the token; `crit` we never honour.
        raise _RejectError("forbidden header")
    return header


def _decode(token: str, key: Any, alg: str, **expected: str) -> dict[str, Any]:
    """Signature, aud, iss (and sub when given) and presence of aud/iss/sub/jti, via jose."""
    try:
        claims = jwt.decode(token, key, algorithms=[alg], options=dict(_JOSE_OPTIONS), **expected)
    except Exception as exc:  # jose can leak TypeError, OverflowError... on hostile input
        message = str(exc)
        missing = _MISSING_CLAIM.fullmatch(message)
        reason = f"missing {missing.group(1)}" if missing else _JOSE_REASONS.get(message)
        raise _RejectError(reason or "rejected by JWT library") from None
    if not isinstance(claims, dict):
        raise _RejectError("malformed claims")
    return claims


def _string(claims: Mapping[str, Any], name: str, *, allow_empty: bool = False) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not (value or allow_empty):
        raise _RejectError(f"missing or malformed {name}")
    return value


def _date(claims: Mapping[str, Any], name: str) -> int | None:
    if name not in claims:
        return None
    value = claims[name]
    # bool is an int, and NaN/Infinity parse as floats: none of them is a NumericDate.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _RejectError(f"malformed {name}")
    return int(value)


def _required_date(claims: Mapping[str, Any], name: str) -> int:
    value = _date(claims, name)
    if value is None:
        raise _RejectError(f"missing {name}")
    return value


def _check_not_before(claims: Mapping[str, Any], now: int, leeway: int) -> None:
    iat = _date(claims, "iat")
    if iat is not None and iat - leeway > now:
        raise _RejectError("iat in the future")
    nbf = _date(claims, "nbf")
    if nbf is not None and nbf - leeway > now:
        raise _RejectError("not yet valid (nbf)")


def sign_access_token(claims: AccessTokenClaims, keys: SigningKeySet) -> str:
    """Sign an RFC 9068 access token with the active key of `keys`."""
    payload = {
        "iss": claims.issuer,
        "aud": claims.audience,
        "sub": claims.client_id,
        "client_id": claims.client_id,
        "clinic_id": claims.clinic_id,
        "scope": claims.scope,
        "iat": claims.issued_at,
        "exp": claims.expires_at,
        "jti": claims.jti,
    }
    headers = {"typ": ACCESS_TOKEN_TYPE, "kid": keys._active_kid}
    token: str = jwt.encode(payload, keys._signer, algorithm=ALGORITHM, headers=headers)
    return token


def read_token_kid(token: str) -> str | None:
    """The unverified `kid` of a token, only to tell whether our key set needs a reload."""
    try:
        kid = _read_header(token).get("kid")
    except _RejectError:
        return None
    return kid if isinstance(kid, str) and 0 < len(kid) <= _MAX_ID_CHARS else None


def verify_access_token(
    token: str,
    keys: SigningKeySet,
    *,
    issuer: str,
    audience: str,
    max_lifetime_seconds: int,
    leeway_seconds: int = 30,
    now: int | None = None,
) -> AccessTokenClaims:
    """Verify one of our access tokens; `InvalidTokenError` for anything short of perfect."""
    try:
        return _verify_access_token(
            token, keys, issuer, audience, max_lifetime_seconds, leeway_seconds, now
        )
    except _RejectError as exc:
        error = ExpiredTokenError if exc.reason == _EXPIRED else InvalidTokenError
        raise error(exc.reason) from None


def _verify_access_token(
    token: str,
    keys: SigningKeySet,
    issuer: str,
    audience: str,
    max_lifetime: int,
    leeway: int,
    now: int | None,
) -> AccessTokenClaims:
    header = _read_header(token)
    if header.get("alg") != ALGORITHM:
        raise _RejectError("algorithm not allowed")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in _ACCESS_TOKEN_TYPES:
        raise _RejectError("wrong typ")
    kid = header.get("kid")
    # The verifier is chosen by kid among our own keys only, and was parsed at construction:
    # jose uses a constructed key object as is (no PEM/JWK parsing per call).
    verifier = keys._verifiers.get(kid) if isinstance(kid, str) else None
    if verifier is None:
        raise _RejectError("unknown kid")
    claims = _decode(token, verifier, ALGORITHM, audience=audience, issuer=issuer)
    now = int(time.time()) if now is None else now
    exp, iat = _required_date(claims, "exp"), _required_date(claims, "iat")
    if exp + leeway <= now:
        raise _RejectError(_EXPIRED)
    _check_not_before(claims, now, leeway)
    if exp < iat:
        raise _RejectError("exp before iat")
    if exp - iat > max_lifetime:
        raise _RejectError("lifetime too long")
    client_id = _string(claims, "client_id")
    if _string(claims, "sub") != client_id:
        raise _RejectError("sub is not client_id")
    return AccessTokenClaims(
        issuer=_string(claims, "iss"),
        audience=audience,
        client_id=client_id,
        clinic_id=_string(claims, "clinic_id"),
        scope=_string(claims, "scope", allow_empty=True),
        issued_at=iat,
        expires_at=exp,
        jti=_string(claims, "jti"),
    )


def validate_client_jwks(jwks: Mapping[str, Any]) -> dict[str, Any]:
    """A client's JWKS for registration: 1-10 public RSA/EC signing keys, else ValueError."""
    public = client_jwks_shape(jwks)
    for key in public["keys"]:
        try:
            jwk.construct(key, algorithm=key_alg(key))
        except Exception:  # bad base64, a point off the curve...: all mean an unusable key
            raise ValueError("a key could not be parsed") from None
    return public


def read_assertion_client_id(assertion: str) -> str | None:
    """The unverified client id (iss == sub) of an assertion, only to find whose JWKS to load."""
    try:
        _read_header(assertion)
        claims = jwt.get_unverified_claims(assertion)
    except Exception:  # anything unreadable simply names no client
        return None
    iss = claims.get("iss") if isinstance(claims, dict) else None
    if (
        isinstance(iss, str)
        and 0 < len(iss) <= _MAX_ID_CHARS
        and is_storable_text(iss)  # it is looked up (and throttled) in the database
        and claims.get("sub") == iss
    ):
        return iss
    return None


def _client_key(header: Mapping[str, Any], client_jwks: Mapping[str, Any], alg: str) -> Any:
    """The client's key named by `kid` (or its only fitting key when there is no kid), parsed."""
    # The JWKS comes from our database, but a bad row must still fail as an invalid assertion.
    raw_keys = client_jwks.get("keys") if isinstance(client_jwks, Mapping) else None
    kid = header.get("kid")
    if not isinstance(raw_keys, list) or not isinstance(kid, str | None):
        raise _RejectError("no usable client key")
    usable = []
    for raw in raw_keys:
        try:
            usable.append(public_client_jwk(raw))
        except ValueError:
            continue  # a stored key that would not pass registration today is never used
    if kid is not None:
        named = [key for key in usable if key.get("kid") == kid]
        if len(named) != 1:
            raise _RejectError("unknown kid")
        if not key_fits(named[0], alg):
            raise _RejectError("alg does not match the key")
        chosen = named[0]
    else:
        fitting = [key for key in usable if key_fits(key, alg)]
        if len(fitting) != 1:
            raise _RejectError("no kid and no single fitting key")
        chosen = fitting[0]
    try:
        return jwk.construct(chosen, algorithm=alg)
    except Exception:  # bad base64 or a point off the curve
        raise _RejectError("unusable client key") from None


def verify_client_assertion(
    assertion: str,
    client_jwks: Mapping[str, Any],
    *,
    client_id: str,
    token_url: str,
    max_lifetime_seconds: int = 300,
    leeway_seconds: int = 30,
    now: int | None = None,
) -> ClientAssertion:
    """Verify a private_key_jwt client assertion (RFC 7523, SMART Backend Services)."""
    try:
        return _verify_client_assertion(
            assertion, client_jwks, client_id, token_url, max_lifetime_seconds, leeway_seconds, now
        )
    except _RejectError as exc:
        raise InvalidAssertionError(exc.reason) from None


def _verify_client_assertion(
    assertion: str,
    client_jwks: Mapping[str, Any],
    client_id: str,
    token_url: str,
    max_lifetime: int,
    leeway: int,
    now: int | None,
) -> ClientAssertion:
    header = _read_header(assertion)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ASSERTION_ALGORITHMS:
        raise _RejectError("algorithm not allowed")
    key = _client_key(header, client_jwks, alg)
    claims = _decode(assertion, key, alg, audience=token_url, issuer=client_id, subject=client_id)
    if _string(claims, "iss") != client_id or _string(claims, "sub") != client_id:
        raise _RejectError("iss and sub must be the client id")
    now = int(time.time()) if now is None else now
    exp = _required_date(claims, "exp")
    if exp + leeway <= now:
        raise _RejectError("expired")
    if exp > now + max_lifetime + leeway:
        raise _RejectError("exp too far ahead")
    _check_not_before(claims, now, leeway)
    jti = _string(claims, "jti")
    if len(jti) > _MAX_ID_CHARS:
        raise _RejectError("jti too long")
    if not is_storable_text(jti):  # it is stored, to refuse replays
        raise _RejectError("malformed jti")
    return ClientAssertion(jti=jti, expires_at=exp)
