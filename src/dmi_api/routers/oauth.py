"""OAuth 2.0: the token endpoint, authorization-server metadata (RFC 8414) and our JWKS."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from dmi_api.auth.scopes import SCOPE_DESCRIPTIONS
from dmi_api.deps import AppSettings, DbSession
from dmi_api.http.problems import problem_responses
from dmi_api.rate_limits.charging import charge_token_request
from dmi_api.request_context import current_request_id
from dmi_api.routers import make_router
from dmi_api.security.jwks import ASSERTION_ALGORITHMS
from dmi_api.services.tokens import OAuthError, issue_token
from dmi_api.text import is_storable_text

router = make_router(tag="oauth", lenient_query=True)

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM = "application/x-www-form-urlencoded"


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 access token response."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 (a token type, not a password)
    expires_in: int
    scope: str


class OAuthErrorResponse(BaseModel):
    """RFC 6749 §5.2 error response."""

    error: str
    error_description: str
    request_id: str | None = None


_TOKEN_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "scope": {"type": "string", "description": "space-separated subset of the client's"},
        "client_id": {"type": "string"},
        "client_secret": {"type": "string"},
        "client_assertion_type": {
            "type": "string",
            "enum": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"],
        },
        "client_assertion": {"type": "string"},
    },
}


def _oauth_error(error: OAuthError) -> JSONResponse:
    body = OAuthErrorResponse(
        error=error.error, error_description=error.description, request_id=current_request_id()
    )
    return JSONResponse(
        body.model_dump(), status_code=error.status, headers={**_NO_STORE, **error.headers}
    )


async def _read_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM:
        raise OAuthError("invalid_request", f"The body must be {_FORM}.")
    form = await request.form()
    values: dict[str, str] = {}
    for name, value in form.multi_items():
        if not isinstance(value, str) or not is_storable_text(value):
            raise OAuthError("invalid_request", f"Invalid value for {name}.")
        if name in values:
            raise OAuthError("invalid_request", f"{name} must not be repeated.")
        values[name] = value
    return values


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    responses={
        400: {"model": OAuthErrorResponse, "description": "RFC 6749 §5.2 error"},
        401: {"model": OAuthErrorResponse, "description": "invalid_client"},
        429: {
            "model": OAuthErrorResponse,
            "description": "too many failed attempts, or too many token requests from one address",
        },
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {_FORM: {"schema": _TOKEN_FORM_SCHEMA}}}
    },
)
async def token(request: Request, db: DbSession, settings: AppSettings) -> JSONResponse:
    """Issue an access token for the client credentials grant (RFC 6749 §4.4, RFC 7523)."""
    verdict = await charge_token_request(request)
    if not verdict.allowed:
        return _oauth_error(
            OAuthError(
                "temporarily_unavailable",
                "Too many token requests from this address; retry later.",
                429,
                {"Retry-After": str(verdict.reset_seconds)},
            )
        )
    try:
        issued = await issue_token(
            db,
            form=await _read_form(request),
            authorization=request.headers.get("authorization"),
            settings=settings,
            keyring=request.app.state.keyring,
        )
    except OAuthError as error:
        # Returned, not raised: the failure count and audit event must still be committed.
        return _oauth_error(error)
    body = TokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
    )
    return JSONResponse(body.model_dump(), headers=_NO_STORE)


# How a client authenticates at the token endpoint (also in the FHIR API's SMART configuration).
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")


@router.get("/.well-known/oauth-authorization-server")
async def authorization_server_metadata(settings: AppSettings) -> dict[str, Any]:
    """Authorization server metadata (RFC 8414)."""
    return {
        "issuer": settings.issuer,
        "token_endpoint": settings.token_url,
        "jwks_uri": f"{settings.issuer}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "scopes_supported": sorted(SCOPE_DESCRIPTIONS),
        "service_documentation": f"{settings.issuer}/docs",
    }


# The keys are read from the database (cached between reloads).
@router.get("/.well-known/jwks.json", responses=problem_responses(503))
async def jwks(request: Request) -> dict[str, Any]:
    """The public keys that verify our access tokens (public members only)."""
    keys = await request.app.state.keyring.current()
    document: dict[str, Any] = keys.public_jwks()
    return document
