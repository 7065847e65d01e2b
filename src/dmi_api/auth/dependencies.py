"""Typed auth dependencies: a route declares its scopes, gets a `Caller` bound to one clinic."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from dmi_api import rule_values
from dmi_api.audit_trail import Action, record_event
from dmi_api.auth.principal import Principal
from dmi_api.auth.scopes import (
    AUDIT_READ,
    CLIENTS_ADMIN,
    EVENTS_READ,
    EXPORT_READ,
    SCOPE_DESCRIPTIONS,
)
from dmi_api.auth.signing_keys import KeyRing
from dmi_api.config import Settings
from dmi_api.deps import DbSession, request_session
from dmi_api.errors import AuthenticationError, InsufficientScopeError
from dmi_api.models import ApiClient
from dmi_api.rate_limits.charging import charge_request
from dmi_api.security.access_tokens import (
    ExpiredTokenError,
    InvalidTokenError,
    TokenOwner,
    read_token_kid,
    verify_access_token,
)
from dmi_api.tenant_scope import Tenant, bind_settings

# Reads only the Authorization header: a token in the query string is never looked at.
oauth2_scheme = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(
            tokenUrl="/oauth/token", scopes=SCOPE_DESCRIPTIONS
        )
    ),
    scheme_name="oauth2",
    description=(
        "OAuth 2.0 client credentials (client secret or private_key_jwt). Access tokens are "
        "accepted until `DMI_TOKEN_LEEWAY_SECONDS` (default 30) after their `exp`, the clock "
        "skew also allowed on `iat`/`nbf` and on client assertions; an expired token's 401 says "
        'so: `WWW-Authenticate: Bearer error="invalid_token", error_description="The access '
        'token expired"`.'
    ),
    auto_error=False,
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated principal and its clinic's view of the database."""

    principal: Principal
    tenant: Tenant

    @property
    def db(self) -> AsyncSession:
        """The request's session (for tables that are not clinic-owned)."""
        return self.tenant.db

    def audit(
        self,
        action: Action,
        resource_type: str,
        *,
        outcome: int = 200,
        resource_id: uuid.UUID | str | None = None,
        child_id: uuid.UUID | None = None,
    ) -> None:
        """Record this caller's access in the request's transaction."""
        record_event(
            self.db,
            principal=self.principal,
            action=action,
            resource_type=resource_type,
            outcome=outcome,
            resource_id=resource_id,
            child_id=child_id,
        )


async def _verify(token: str, keyring: KeyRing, settings: Settings) -> Principal:
    known = keyring.verified.get(token, (await keyring.current()).kids)
    if known is not None:
        return known
    kid = read_token_kid(token)
    keys = await keyring.for_kid(kid)
    claims = verify_access_token(
        token,
        keys,
        issuer=settings.issuer,
        audience=settings.token_audience,
        max_lifetime_seconds=settings.token_lifetime_seconds,
        leeway_seconds=settings.token_leeway_seconds,
    )
    try:
        client_id, clinic_id = uuid.UUID(claims.client_id), uuid.UUID(claims.clinic_id)
    except ValueError:
        raise InvalidTokenError("malformed client or clinic id") from None
    principal = Principal(
        client_id=client_id,
        clinic_id=clinic_id,
        scopes=frozenset(claims.scope.split()),
        token_jti=claims.jti,
        rate_limit=claims.rate_limit,
    )
    if kid is not None:  # verification found the key by this kid
        keyring.verified.put(token, principal, kid=kid, expires_at=claims.expires_at)
    return principal


async def _bind_active_client(db: AsyncSession, principal: Principal) -> bool:
    """Bind the tenant for row-level security and check the client is still active; on
    PostgreSQL one round trip, which also reads the clinic's rule settings for the request."""
    if db.get_bind().dialect.name == "postgresql":
        row = (
            await db.execute(
                text("SELECT * FROM dmi_authorize(:clinic, :client)"),
                {"clinic": principal.clinic_id, "client": principal.client_id},
            )
        ).one_or_none()
        if row is None or not row.active:
            return False
        rule_values.remember(db, principal.clinic_id, rule_values.rules_of_row(row))
        return True
    await bind_settings(db, clinic_id=principal.clinic_id, client_id=principal.client_id)
    active = (
        await db.execute(
            select(col(ApiClient.active)).where(
                col(ApiClient.id) == principal.client_id,
                col(ApiClient.clinic_id) == principal.clinic_id,
            )
        )
    ).scalar_one_or_none()
    return bool(active)


async def _principal_of(request: Request, authorization: str | None) -> Principal:
    """The principal a valid bearer token proves (401 otherwise); nothing is looked up."""
    request.state.audit_denials = True
    if not authorization:
        raise AuthenticationError(token_present=False)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        # No bearer token at all: RFC 6750 §3.1, a bare challenge (no token to call invalid).
        raise AuthenticationError("Use the Bearer authentication scheme.", token_present=False)
    try:
        principal = await _verify(
            token.strip(), request.app.state.keyring, request.app.state.settings
        )
    except InvalidTokenError as exc:
        # A token we signed (expired, by a retired key...) names whom its denial concerns.
        request.state.principal = _owner_of(exc.owner)
        if isinstance(exc, ExpiredTokenError):
            # Expiry is the one failure worth naming (the client should fetch a new token); it
            # is only reached for a token we signed. Any other reason stays unsaid.
            raise AuthenticationError(
                "The access token expired; request a new one.",
                error_description="The access token expired",
            ) from None
        raise AuthenticationError() from None
    # Whatever is refused from here on is attributed to this clinic and client.
    request.state.principal = principal
    await charge_request(request, principal)
    return principal


def _owner_of(owner: TokenOwner | None) -> Principal | None:
    """The principal a refused token of ours names (no scopes: it grants nothing)."""
    if owner is None:
        return None
    try:
        client_id, clinic_id = uuid.UUID(owner.client_id), uuid.UUID(owner.clinic_id)
    except ValueError:
        return None
    return Principal(
        client_id=client_id, clinic_id=clinic_id, scopes=frozenset(), token_jti=owner.jti
    )


async def authenticate(
    security_scopes: SecurityScopes,
    request: Request,
    db: DbSession,
    authorization: Annotated[str | None, Depends(oauth2_scheme)],
) -> Caller:
    """Verify the bearer token, check the client is still active, bind the clinic, check scopes."""
    principal = await _principal_of(request, authorization)
    if not await _bind_active_client(db, principal):
        # A disabled (or deleted) client's tokens die with it, before they expire.
        raise AuthenticationError()
    if not principal.has_scopes(security_scopes.scopes):
        raise InsufficientScopeError(security_scopes.scopes)
    return Caller(principal=principal, tenant=Tenant(db, principal.clinic_id, principal))


async def authenticate_token(
    security_scopes: SecurityScopes,
    request: Request,
    authorization: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """Verify the bearer token and its scopes only, for routes that check the client in their
    own statement (`dmi_api.direct`) or open their session with `caller_session`."""
    principal = await _principal_of(request, authorization)
    if not principal.has_scopes(security_scopes.scopes):
        raise InsufficientScopeError(security_scopes.scopes)
    return principal


@asynccontextmanager
async def caller_session(request: Request, principal: Principal) -> AsyncIterator[Caller]:
    """A session for a principal from `authenticate_token`, checked and bound as `authenticate`
    does, committed when the block succeeds (the request boundary of such a route)."""
    async with request_session(request) as db:
        if not await _bind_active_client(db, principal):
            raise AuthenticationError()
        yield Caller(principal=principal, tenant=Tenant(db, principal.clinic_id, principal))


def require(*scopes: str) -> Any:
    """A dependency marker: authenticate and demand these scopes (documented in OpenAPI)."""
    return Security(authenticate, scopes=list(scopes))


def require_token(*scopes: str) -> Any:
    """`require` without the session: a verified `Principal` with these scopes."""
    return Security(authenticate_token, scopes=list(scopes))


ClientsAdmin = Annotated[Caller, require(CLIENTS_ADMIN)]
AuditReader = Annotated[Caller, require(AUDIT_READ)]
EventReader = Annotated[Caller, require(EVENTS_READ)]
Exporter = Annotated[Caller, require(EXPORT_READ)]
