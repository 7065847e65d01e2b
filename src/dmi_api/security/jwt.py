"""The token API in one import: our access tokens and clients' assertions.

The code lives in `access_tokens.py`, `client_assertions.py` and `jws.py` (python-jose's only user).
"""

from dmi_api.security.access_tokens import (
    ACCESS_TOKEN_TYPE,
    AccessTokenClaims,
    ExpiredTokenError,
    InvalidTokenError,
    SigningKeySet,
    read_token_kid,
    sign_access_token,
    verify_access_token,
)
from dmi_api.security.client_assertions import (
    InvalidAssertionError,
    read_assertion_client_id,
    validate_client_jwks,
    verify_client_assertion,
)
from dmi_api.security.jws import FORBIDDEN_HEADERS

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "FORBIDDEN_HEADERS",
    "AccessTokenClaims",
    "ExpiredTokenError",
    "InvalidAssertionError",
    "InvalidTokenError",
    "SigningKeySet",
    "read_assertion_client_id",
    "read_token_kid",
    "sign_access_token",
    "validate_client_jwks",
    "verify_access_token",
    "verify_client_assertion",
]
