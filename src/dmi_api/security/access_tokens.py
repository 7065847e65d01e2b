"""Our access tokens (RFC 9068): the signing key set, signing, and verification."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dmi_api.security import jws
from dmi_api.security.jwks import PRIVATE_MEMBERS, b64url_uint

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a credential
ALGORITHM = "RS256"

_ACCESS_TOKEN_TYPES = frozenset({ACCESS_TOKEN_TYPE, "application/" + ACCESS_TOKEN_TYPE})
_EXPIRED = "expired"


@dataclass(frozen=True)
class TokenOwner:
    """Whom a refused token names, told only when its signature is one of ours: the denial is
    then attributed to that clinic and client (a forgery names no one)."""

    client_id: str
    clinic_id: str
    jti: str


class InvalidTokenError(Exception):
    """An access token was refused; `reason` is short and safe to log (never the token);
    `owner`: whom it names, when the signature verified (expired, retired key...)."""

    def __init__(self, reason: str, owner: TokenOwner | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.owner = owner


class ExpiredTokenError(InvalidTokenError):
    """One of our access tokens, genuine but past its `exp` (and the leeway)."""


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
    # The client's own quota (units a minute), carried so that no request looks it up.
    rate_limit: int | None = None


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


def _parsed(jwks: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    verifiers: dict[str, Any] = {}
    for key in jwks:
        if key["kid"] in verifiers:
            raise ValueError("duplicate kid in verification keys")
        try:
            verifiers[key["kid"]] = jws.construct_key(key, ALGORITHM)
        except ValueError as exc:
            raise ValueError("unparseable verification key") from exc
    return verifiers


class SigningKeySet:
    """Our own keys: one active signing key plus verification-only keys, each parsed ONCE.

    `retired_jwks`: keys past their verification window. They verify nothing; a token they
    signed is refused, but attributed to the client it names (`InvalidTokenError.owner`).
    """

    def __init__(
        self,
        active_kid: str,
        active_private_pem: bytes,
        verification_jwks: Sequence[Mapping[str, str]],
        retired_jwks: Sequence[Mapping[str, str]] = (),
    ) -> None:
        self._jwks = tuple(_public_rsa_jwk(key) for key in verification_jwks)
        self._verifiers = _parsed(self._jwks)
        self._retired = _parsed([_public_rsa_jwk(key) for key in retired_jwks])
        if self._retired.keys() & self._verifiers.keys():
            raise ValueError("a key cannot both verify and be retired")
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
        self._signer: Any = jws.construct_key(private, ALGORITHM)

    @property
    def active_kid(self) -> str:
        """The kid new tokens are signed with."""
        return self._active_kid

    @property
    def kids(self) -> frozenset[str]:
        """The ids of every key that verifies (the active one included)."""
        return frozenset(self._verifiers)

    @property
    def retired_kids(self) -> frozenset[str]:
        """The ids of the keys that no longer verify (kept to attribute their tokens)."""
        return frozenset(self._retired)

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS to publish: kty, kid, use, alg, n and e of each key, nothing else."""
        return {"keys": [dict(key) for key in self._jwks]}


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
    if claims.rate_limit is not None:
        payload["rate_limit"] = claims.rate_limit
    headers = {"typ": ACCESS_TOKEN_TYPE, "kid": keys._active_kid}
    return jws.sign(payload, keys._signer, ALGORITHM, headers)


def read_token_kid(token: str) -> str | None:
    """The unverified `kid` of a token, only to tell whether our key set needs a reload."""
    try:
        kid = jws.read_header(token).get("kid")
    except jws.RejectError:
        return None
    return kid if isinstance(kid, str) and 0 < len(kid) <= jws.MAX_ID_CHARS else None


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
        return _verify(token, keys, issuer, audience, max_lifetime_seconds, leeway_seconds, now)
    except _SignedButRefusedError as exc:
        error = ExpiredTokenError if exc.reason == _EXPIRED else InvalidTokenError
        raise error(exc.reason, exc.owner) from None
    except jws.RejectError as exc:
        raise InvalidTokenError(exc.reason) from None


class _SignedButRefusedError(jws.RejectError):
    """A token whose signature is ours, refused for another reason; it names its owner."""

    def __init__(self, reason: str, owner: TokenOwner | None) -> None:
        super().__init__(reason)
        self.owner = owner


def _owner(claims: Mapping[str, Any]) -> TokenOwner | None:
    client_id, clinic_id, jti = claims.get("client_id"), claims.get("clinic_id"), claims.get("jti")
    if not (isinstance(client_id, str) and isinstance(clinic_id, str) and isinstance(jti, str)):
        return None
    return TokenOwner(client_id, clinic_id, jti)


def _verify(
    token: str,
    keys: SigningKeySet,
    issuer: str,
    audience: str,
    max_lifetime: int,
    leeway: int,
    now: int | None,
) -> AccessTokenClaims:
    header = jws.read_header(token)
    if header.get("alg") != ALGORITHM:
        raise jws.RejectError("algorithm not allowed")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in _ACCESS_TOKEN_TYPES:
        raise jws.RejectError("wrong typ")
    kid = header.get("kid")
    # The verifier is chosen by kid among our own keys only, and was parsed at construction:
    # jose uses a constructed key object as is (no PEM/JWK parsing per call).
    verifier = keys._verifiers.get(kid) if isinstance(kid, str) else None
    if verifier is None:
        retired = keys._retired.get(kid) if isinstance(kid, str) else None
        if retired is None:
            raise jws.RejectError("unknown kid")
        signed = jws.decode(token, retired, ALGORITHM, audience=audience, issuer=issuer)
        raise _SignedButRefusedError("retired key", _owner(signed))
    claims = jws.decode(token, verifier, ALGORITHM, audience=audience, issuer=issuer)
    try:
        return _checked(claims, audience, max_lifetime, leeway, now)
    except jws.RejectError as exc:
        raise _SignedButRefusedError(exc.reason, _owner(claims)) from None


def _checked(
    claims: dict[str, Any], audience: str, max_lifetime: int, leeway: int, now: int | None
) -> AccessTokenClaims:
    exp, iat = jws.required_date(claims, "exp"), jws.required_date(claims, "iat")
    now = int(time.time()) if now is None else now
    if exp + leeway <= now:
        raise jws.RejectError(_EXPIRED)
    jws.check_not_before(claims, now, leeway)
    if exp < iat:
        raise jws.RejectError("exp before iat")
    if exp - iat > max_lifetime:
        raise jws.RejectError("lifetime too long")
    client_id = jws.string_claim(claims, "client_id")
    if jws.string_claim(claims, "sub") != client_id:
        raise jws.RejectError("sub is not client_id")
    return AccessTokenClaims(
        issuer=jws.string_claim(claims, "iss"),
        audience=audience,
        client_id=client_id,
        clinic_id=jws.string_claim(claims, "clinic_id"),
        scope=jws.string_claim(claims, "scope", allow_empty=True),
        issued_at=iat,
        expires_at=exp,
        jti=jws.string_claim(claims, "jti"),
        rate_limit=_rate_limit(claims),
    )


def _rate_limit(claims: Mapping[str, Any]) -> int | None:
    value = claims.get("rate_limit")
    if value is None:
        return None
    if type(value) is not int or value < 1:
        raise jws.RejectError("bad rate_limit")
    return value
