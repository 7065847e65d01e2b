"""OAuth 2.0 client credentials (RFC 6749 §4.4): the client's credentials, the token request
they make (HTTP Basic for a secret, a signed assertion for `private_key_jwt`, RFC 7523), and
the token kept until shortly before it expires. No I/O: the transports send the request."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
from authlib.oauth2.rfc6749 import OAuth2Token

from dmi_api_client.errors import AuthenticationError, api_error, problem_of

# The statuses of a token endpoint that refuses the client (RFC 6749 §5.2).
REFUSALS = (400, 401, 403)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Refresh this long before expiry by default, at most a quarter of the token's lifetime.
DEFAULT_LEEWAY_SECONDS = 60.0


@dataclass(frozen=True)
class ClientSecret:
    """A client registered with a secret (`client_secret_basic`)."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class PrivateKeyJwt:
    """A client registered with a public JWKS (`private_key_jwt`): it signs a short-lived
    assertion with its private key (PEM) for each token. `key_id` is the JWK's `kid`."""

    client_id: str
    private_key: bytes = field(repr=False)
    key_id: str | None = None
    algorithm: str = "RS256"
    assertion_lifetime: int = 120

    @classmethod
    def from_file(
        cls, client_id: str, path: str | Path, key_id: str | None = None, algorithm: str = "RS256"
    ) -> PrivateKeyJwt:
        """Credentials with the PEM private key read from `path`."""
        return cls(client_id, Path(path).read_bytes(), key_id=key_id, algorithm=algorithm)


Credentials = ClientSecret | PrivateKeyJwt


@dataclass(frozen=True)
class TokenRequest:
    """The POST to the token endpoint."""

    url: str
    headers: dict[str, str]
    form: dict[str, str]


class TokenCache:
    """The client's current access token and when to get a new one.

    `leeway`: seconds before expiry at which a new token is fetched; by default 60 s, at most
    a quarter of the token's lifetime. `token_url` is also the assertion's audience.
    """

    def __init__(
        self,
        credentials: Credentials,
        token_url: str,
        *,
        scope: str | None = None,
        leeway: float | None = None,
    ) -> None:
        self.credentials = credentials
        self.token_url = token_url
        self.scope = scope
        self.leeway = leeway
        self.token: OAuth2Token | None = None
        self.issued = 0  # tokens obtained so far
        self._key: Any = None

    def __repr__(self) -> str:
        return f"TokenCache(client_id={self.credentials.client_id!r}, issued={self.issued})"

    def _leeway(self, token: OAuth2Token) -> int:
        if self.leeway is not None:
            return int(self.leeway)
        lifetime = token.get("expires_in")
        quarter = lifetime / 4 if isinstance(lifetime, int | float) else DEFAULT_LEEWAY_SECONDS
        return int(min(DEFAULT_LEEWAY_SECONDS, quarter))

    def needs_token(self) -> bool:
        """True when there is no token or it expires within the leeway."""
        token = self.token
        return token is None or bool(token.is_expired(leeway=self._leeway(token)))

    def _signing_key(self, credentials: PrivateKeyJwt) -> Any:
        """The private key, parsed once (a joserfc key, as authlib signs with)."""
        if self._key is None:
            from joserfc.jwk import ECKey, RSAKey

            kind = ECKey if credentials.algorithm.startswith("ES") else RSAKey
            self._key = kind.import_key(credentials.private_key)
        return self._key

    def request(self) -> TokenRequest:
        """The token request these credentials make."""
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        headers = {"Accept": "application/json"}
        credentials = self.credentials
        if isinstance(credentials, ClientSecret):
            # RFC 6749 §2.3.1: each part form-encoded, then Basic.
            pair = f"{quote_plus(credentials.client_id)}:{quote_plus(credentials.client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            # Imported here: JOSE is a third of the package's import time, and only
            # private_key_jwt clients need it.
            from authlib.oauth2.rfc7523 import private_key_jwt_sign

            header = {"typ": "JWT"} | ({"kid": credentials.key_id} if credentials.key_id else {})
            form["client_assertion_type"] = JWT_BEARER
            form["client_assertion"] = private_key_jwt_sign(
                self._signing_key(credentials),
                credentials.client_id,
                self.token_url,
                alg=credentials.algorithm,
                header=header,
                expires_in=credentials.assertion_lifetime,
            )
        return TokenRequest(self.token_url, headers, form)

    def accept(self, response: httpx.Response) -> None:
        """Keep the token of a token response; AuthenticationError when it is a refusal (400,
        401 or 403, RFC 6749 §5.2), the `ApiError` of its status when the endpoint failed
        otherwise (a gateway's 502, a 503 past the retries: the credentials were not judged)."""
        if response.status_code not in (200, *REFUSALS):
            raise api_error(response)
        if response.status_code != 200:
            problem = problem_of(response)
            reason = problem.get("detail") or problem.get("title") or "no token"
            raise AuthenticationError(
                f"the token endpoint refused the client ({response.status_code}): {reason}"
            )
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise AuthenticationError("the token endpoint answered no access_token")
        if str(body.get("token_type", "Bearer")).lower() != "bearer":
            raise AuthenticationError("the token endpoint answered a token that is not Bearer")
        self.token = OAuth2Token.from_dict(body)  # type: ignore[no-untyped-call]
        if not isinstance(self.token.get("expires_at"), int):
            self.token["expires_at"] = int(time.time()) + 60
        self.issued += 1

    def authorization(self) -> str:
        """The `Authorization` header value of the current token."""
        if self.token is None:
            raise AuthenticationError("no access token yet")
        return f"Bearer {self.token['access_token']}"

    def discard(self, authorization: str) -> None:
        """Forget the token that was refused (unless another already replaced it)."""
        if self.token is not None and self.authorization() == authorization:
            self.token = None
