"""Client assertions (RFC 7523 private_key_jwt, SMART Backend Services) and client JWKS."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dmi_api.security import jws
from dmi_api.security.jwks import (
    ASSERTION_ALGORITHMS,
    client_jwks_shape,
    key_alg,
    key_fits,
    public_client_jwk,
)
from dmi_api.text import is_storable_text


class InvalidAssertionError(Exception):
    """A client assertion was refused; `reason` is short and safe to log (never the assertion)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClientAssertion:
    """A verified client assertion; the caller must still record `jti` to refuse replays."""

    jti: str
    expires_at: int


def validate_client_jwks(jwks: Mapping[str, Any]) -> dict[str, Any]:
    """A client's JWKS for registration: 1-10 public RSA/EC signing keys, else ValueError."""
    public = client_jwks_shape(jwks)
    for key in public["keys"]:
        try:
            jws.construct_key(key, key_alg(key))
        except ValueError:  # bad base64, a point off the curve...: all mean an unusable key
            raise ValueError("a key could not be parsed") from None
    return public


def read_assertion_client_id(assertion: str) -> str | None:
    """The unverified client id (iss == sub) of an assertion, only to find whose JWKS to load."""
    claims = jws.unverified_claims(assertion) or {}
    iss = claims.get("iss")
    if (
        isinstance(iss, str)
        and 0 < len(iss) <= jws.MAX_ID_CHARS
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
        raise jws.RejectError("no usable client key")
    usable = []
    for raw in raw_keys:
        try:
            usable.append(public_client_jwk(raw))
        except ValueError:
            continue  # a stored key that would not pass registration today is never used
    if kid is not None:
        named = [key for key in usable if key.get("kid") == kid]
        if len(named) != 1:
            raise jws.RejectError("unknown kid")
        if not key_fits(named[0], alg):
            raise jws.RejectError("alg does not match the key")
        chosen = named[0]
    else:
        fitting = [key for key in usable if key_fits(key, alg)]
        if len(fitting) != 1:
            raise jws.RejectError("no kid and no single fitting key")
        chosen = fitting[0]
    try:
        return jws.construct_key(chosen, alg)
    except ValueError:  # bad base64 or a point off the curve
        raise jws.RejectError("unusable client key") from None


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
    """Verify a private_key_jwt client assertion; `InvalidAssertionError` when refused."""
    try:
        header = jws.read_header(assertion)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ASSERTION_ALGORITHMS:
            raise jws.RejectError("algorithm not allowed")
        key = _client_key(header, client_jwks, alg)
        claims = jws.decode(
            assertion, key, alg, audience=token_url, issuer=client_id, subject=client_id
        )
        if client_id != jws.string_claim(claims, "iss") or client_id != jws.string_claim(
            claims, "sub"
        ):
            raise jws.RejectError("iss and sub must be the client id")
        now = int(time.time()) if now is None else now
        exp = jws.required_date(claims, "exp")
        if exp + leeway_seconds <= now:
            raise jws.RejectError("expired")
        if exp > now + max_lifetime_seconds + leeway_seconds:
            raise jws.RejectError("exp too far ahead")
        jws.check_not_before(claims, now, leeway_seconds)
        jti = jws.string_claim(claims, "jti")
        if len(jti) > jws.MAX_ID_CHARS:
            raise jws.RejectError("jti too long")
        if not is_storable_text(jti):  # it is stored, to refuse replays
            raise jws.RejectError("malformed jti")
    except jws.RejectError as exc:
        raise InvalidAssertionError(exc.reason) from None
    return ClientAssertion(jti=jti, expires_at=exp)
