"""Where a client connects and as whom, from arguments or the environment:

- `DMI_URL`: the API's base URL (e.g. `https://dmi.example.org`);
- `DMI_CLIENT_ID`, and either `DMI_CLIENT_SECRET`, or `DMI_PRIVATE_KEY` (the path of a PEM
  private key, for a `private_key_jwt` client) with `DMI_KEY_ID` (its JWK `kid`);
- optional: `DMI_SCOPE` (narrower scopes), `DMI_TOKEN_URL` (default `<DMI_URL>/oauth/token`,
  also the assertion's audience).

`CLIENT_ID` and `CLIENT_SECRET` are read too when the `DMI_` names are unset (what
`dmi-api demo --env` exports).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from dmi_api_client.tokens import ClientSecret, Credentials, PrivateKeyJwt


class ConfigError(ValueError):
    """The environment does not say where to connect or as whom."""


@dataclass(frozen=True)
class Settings:
    """What a client needs to connect."""

    base_url: str
    credentials: Credentials
    scope: str | None = None
    token_url: str | None = None


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if env.get(name):
            return env[name]
    return None


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `DMI_*` environment variables (see the module's doc)."""
    env = os.environ if env is None else env
    base_url = _first(env, "DMI_URL")
    client_id = _first(env, "DMI_CLIENT_ID", "CLIENT_ID")
    if not base_url or not client_id:
        raise ConfigError(
            "set DMI_URL and DMI_CLIENT_ID (and DMI_CLIENT_SECRET or DMI_PRIVATE_KEY)"
        )
    key_path = _first(env, "DMI_PRIVATE_KEY")
    secret = _first(env, "DMI_CLIENT_SECRET", "CLIENT_SECRET")
    credentials: Credentials
    if key_path:
        try:
            credentials = PrivateKeyJwt.from_file(
                client_id,
                key_path,
                key_id=_first(env, "DMI_KEY_ID"),
                algorithm=_first(env, "DMI_KEY_ALG") or "RS256",
            )
        except OSError as exc:
            raise ConfigError(f"cannot read DMI_PRIVATE_KEY: {exc.strerror}") from None
    elif secret:
        credentials = ClientSecret(client_id, secret)
    else:
        raise ConfigError("set DMI_CLIENT_SECRET, or DMI_PRIVATE_KEY for a private_key_jwt client")
    return Settings(base_url, credentials, _first(env, "DMI_SCOPE"), _first(env, "DMI_TOKEN_URL"))
