"""The OAuth 2.0 client credentials grant (RFC 6749 §4.4) with secret or JWT client auth."""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dmi_api.audit_trail import record_event
from dmi_api.auth import throttle
from dmi_api.auth.scopes import parse_scopes
from dmi_api.auth.signing_keys import KeyRing
from dmi_api.config import Settings
from dmi_api.models import ApiClient, UsedClientAssertion
from dmi_api.models.columns import utcnow
from dmi_api.request_context import current_client_ip
from dmi_api.security.access_tokens import AccessTokenClaims, sign_access_token
from dmi_api.security.client_assertions import (
    InvalidAssertionError,
    read_assertion_client_id,
    verify_client_assertion,
)
from dmi_api.security.secrets import verify_client_secret
from dmi_api.tenant_scope import bind_settings
from dmi_api.text import is_storable_text

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_AUTH_PARAMS = ("client_id", "client_secret", "client_assertion_type", "client_assertion")


@dataclass
class OAuthError(Exception):
    """An RFC 6749 §5.2 error response."""

    error: str
    description: str
    status: int = 400
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedToken:
    """A successful token response."""

    access_token: str
    expires_in: int
    scope: str


@dataclass(frozen=True)
class _Credentials:
    method: str  # client_secret_basic | client_secret_post | private_key_jwt
    client_key: str
    secret: str | None = None
    assertion: str | None = None


def _basic(authorization: str) -> tuple[str, str]:
    # RFC 6749 §5.2: a client that tried the Authorization header and failed, however, is told
    # invalid_client with 401 and a challenge of the scheme it used.
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", "Unsupported authorization scheme.", 401, _challenge())
    malformed = OAuthError("invalid_client", "Malformed Basic credentials.", 401, _challenge())
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise malformed from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise malformed
    # RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    # The client id is looked up (and throttled) in the database, which cannot hold a NUL.
    if not (is_storable_text(client_id) and is_storable_text(secret)):
        raise malformed
    return client_id, secret


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Basic realm="dmi-api", charset="UTF-8"'}


def read_credentials(form: dict[str, str], authorization: str | None) -> _Credentials:
    """Exactly one client authentication method, as RFC 6749 §2.3 demands."""
    assertion = form.get("client_assertion")
    methods = sum((bool(authorization), "client_secret" in form, assertion is not None))
    if methods > 1:
        raise OAuthError("invalid_request", "Use exactly one client authentication method.")
    if authorization:
        client_id, secret = _basic(authorization)
        if "client_id" in form and form["client_id"] != client_id:
            raise OAuthError("invalid_request", "client_id differs from the Basic credentials.")
        return _Credentials("client_secret_basic", client_id, secret=secret)
    if assertion is not None:
        if form.get("client_assertion_type") != JWT_BEARER:
            raise OAuthError("invalid_request", f"client_assertion_type must be {JWT_BEARER}.")
        client_key = read_assertion_client_id(assertion)
        if client_key is None or form.get("client_id", client_key) != client_key:
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        return _Credentials("private_key_jwt", client_key, assertion=assertion)
    if "client_secret" in form:
        if not form.get("client_id"):
            raise OAuthError("invalid_request", "client_id is required.")
        return _Credentials("client_secret_post", form["client_id"], secret=form["client_secret"])
    raise OAuthError("invalid_client", "Client authentication is required.", 401, _challenge())


async def _find_client(db: AsyncSession, client_key: str) -> ApiClient | None:
    try:
        client_id = uuid.UUID(client_key)
    except ValueError:
        return None
    return await find_client(db, client_id)


async def find_client(db: AsyncSession, client_id: uuid.UUID) -> ApiClient | None:
    """The client with this id, whatever its clinic (none is known yet): the one lookup of a
    clinic-owned row by its id alone (the token endpoint, `dmi-api clients ...`).

    Row-level security lets the lookup see rows of this client id only. The key is
    `(clinic_id, id)`, so the id's uniqueness across clinics is no constraint's (ids are
    random uuid4s, minted by `services.clients`): two rows found would be a collision, and
    neither is answered for. On a database distributed by clinic (README "Scaling out") this
    query asks every shard; every later request names its clinic in its token.
    """
    await bind_settings(db, client_id=client_id)
    statement = select(ApiClient).where(col(ApiClient.id) == client_id).limit(2)
    found = (await db.execute(statement)).scalars().all()
    return found[0] if len(found) == 1 else None


async def _spend_assertion(db: AsyncSession, client: ApiClient, jti: str, expires_at: int) -> bool:
    """Record the assertion's jti; False when it was already used (a replay)."""
    table = UsedClientAssertion.__table__  # type: ignore[attr-defined]
    await db.execute(
        delete(UsedClientAssertion).where(
            col(UsedClientAssertion.clinic_id) == client.clinic_id,
            col(UsedClientAssertion.client_id) == client.id,
            col(UsedClientAssertion.expires_at) < utcnow(),
        )
    )
    dialect_insert: Any = (
        postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    # Kept past the assertion's own expiry by the leeway: until then it could still be accepted.
    expiry = datetime.fromtimestamp(expires_at, UTC) + timedelta(minutes=2)
    statement = (
        dialect_insert(table)
        .values(clinic_id=client.clinic_id, client_id=client.id, jti=jti, expires_at=expiry)
        .on_conflict_do_nothing()
    )
    result: Any = await db.execute(statement)
    return bool(result.rowcount == 1)


async def _authenticate(
    db: AsyncSession, credentials: _Credentials, client: ApiClient | None, settings: Settings
) -> bool:
    if credentials.method == "private_key_jwt":
        if client is None or client.auth_method != "private_key_jwt" or not client.jwks:
            return False
        try:
            assertion = verify_client_assertion(
                credentials.assertion or "",
                client.jwks,
                client_id=str(client.id),
                token_url=settings.token_url,
                leeway_seconds=settings.token_leeway_seconds,
            )
        except InvalidAssertionError:
            return False
        return await _spend_assertion(db, client, assertion.jti, assertion.expires_at)
    stored = client.secret_hash if client and client.auth_method == "client_secret" else None
    # Always one slow hash, for unknown clients too: timing must not tell which ids exist. It
    # runs off the event loop (scrypt releases the GIL): ~60 ms of it there stalled every other
    # request of the worker, and a flood of token requests stalled them all.
    matched = await asyncio.to_thread(verify_client_secret, credentials.secret or "", stored)
    return matched and stored is not None


def _record_refusal(db: AsyncSession, client: ApiClient | None) -> None:
    """The audit event of a refused client authentication (unattributed when no client)."""
    record_event(
        db,
        action="token",
        resource_type="api_client",
        outcome=401,
        clinic_id=client.clinic_id if client else None,
        client_id=str(client.id) if client else None,
    )


async def issue_token(
    db: AsyncSession,
    *,
    form: dict[str, str],
    authorization: str | None,
    settings: Settings,
    keyring: KeyRing,
) -> IssuedToken:
    """Authenticate the client and issue an access token, or raise `OAuthError`."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required.")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only client_credentials is supported.")
    try:
        credentials = read_credentials(form, authorization)
    except OAuthError as error:
        if error.status == 401:
            # A refused client authentication that names no client (none, a garbled one, another
            # scheme) is on the trail too, among the unattributed events; nothing to count.
            _record_refusal(db, None)
        raise
    # Before this transaction writes: a first key is created in a transaction of its own, which
    # on SQLite would otherwise wait for this one's write lock.
    keys = await keyring.current()
    wait = await throttle.seconds_locked(db, credentials.client_key, current_client_ip())
    if wait:
        raise OAuthError(
            "temporarily_unavailable",
            "Too many failed authentication attempts; retry later.",
            429,
            {"Retry-After": str(wait)},
        )
    client = await _find_client(db, credentials.client_key)
    if client is not None:
        await bind_settings(db, clinic_id=client.clinic_id, client_id=client.id)
    authenticated = await _authenticate(db, credentials, client, settings)
    if not authenticated or client is None or not client.active:
        await throttle.record_failure(db, credentials.client_key, current_client_ip(), settings)
        _record_refusal(db, client)
        headers = _challenge() if credentials.method == "client_secret_basic" else {}
        raise OAuthError("invalid_client", "Client authentication failed.", 401, headers)

    registered = parse_scopes(client.scopes)
    requested = parse_scopes(form.get("scope", ""))
    if any(scope not in registered for scope in requested):
        raise OAuthError("invalid_scope", "A requested scope is not granted to this client.")
    granted = " ".join(requested or registered)

    await throttle.clear(db, credentials.client_key, current_client_ip())
    now = int(utcnow().timestamp())
    lifetime = settings.token_lifetime_seconds
    claims = AccessTokenClaims(
        issuer=settings.issuer,
        audience=settings.token_audience,
        client_id=str(client.id),
        clinic_id=str(client.clinic_id),
        scope=granted,
        issued_at=now,
        expires_at=now + lifetime,
        jti=secrets.token_urlsafe(16),
        rate_limit=client.rate_limit_per_minute,
    )
    token = sign_access_token(claims, keys)
    record_event(
        db,
        action="token",
        resource_type="api_client",
        resource_id=client.id,
        outcome=200,
        clinic_id=client.clinic_id,
        client_id=str(client.id),
    )
    return IssuedToken(access_token=token, expires_in=lifetime, scope=granted)
