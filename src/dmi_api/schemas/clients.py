"""API clients as the clients-admin API shows them (never a secret hash)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dmi_api.auth.scopes import ScopeName, parse_scopes, unknown_scopes
from dmi_api.schemas.patch import PatchModel
from dmi_api.security.jwks import client_jwks_shape

AuthMethod = Literal["client_secret", "private_key_jwt"]
MAX_RATE_LIMIT = 100_000_000
_RATE_LIMIT_DESCRIPTION = (
    "The client's own quota, in cost units a minute (a read costs 1, a write 5, a batch upload "
    "50, an export kick-off 100); null: the service default. Applies to tokens issued after the "
    "change."
)


def _rate_limit_field() -> Any:
    return Field(
        default=None, ge=1, le=MAX_RATE_LIMIT, strict=True, description=_RATE_LIMIT_DESCRIPTION
    )


def _check_scopes(value: list[str]) -> list[str]:
    scopes = parse_scopes(" ".join(value))
    if not scopes:
        raise ValueError("at least one scope is required")
    if unknown := unknown_scopes(scopes):
        raise ValueError(f"unknown scopes: {' '.join(unknown)}")
    return scopes


def _check_jwks(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        # Parsing the keys themselves is the service's (`clients.usable_jwks`): it needs jose.
        return client_jwks_shape(value)
    except ValueError as error:
        # A code of its own: usable key material is a rule the OpenAPI schema cannot state.
        raise PydanticCustomError("jwks_invalid", str(error)) from None


# The shape `client_jwks_shape` demands, for the OpenAPI document.
_JWKS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["keys"],
    "properties": {
        "keys": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10,
            "items": {
                "type": "object",
                "required": ["kty"],
                "properties": {"kty": {"enum": ["RSA", "EC"]}},
            },
        }
    },
    "description": "public JWKS (private_key_jwt): 1-10 RSA or EC public signing keys",
}


class ClientCreate(BaseModel):
    """A new client of the caller's clinic."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scopes: list[ScopeName] = Field(min_length=1, max_length=50)
    auth_method: AuthMethod = "client_secret"
    jwks: dict[str, Any] | None = Field(
        default=None, json_schema_extra={"anyOf": [_JWKS_SCHEMA, {"type": "null"}]}
    )
    rate_limit_per_minute: int | None = _rate_limit_field()

    _scopes = field_validator("scopes")(_check_scopes)
    _jwks = field_validator("jwks")(_check_jwks)

    @model_validator(mode="after")
    def _jwks_matches_method(self) -> ClientCreate:
        if (self.auth_method == "private_key_jwt") != (self.jwks is not None):
            raise PydanticCustomError(
                "jwks_auth_method", "jwks is required for private_key_jwt and only for it"
            )
        return self


class ClientUpdate(PatchModel):
    """Changes to a client; omitted fields stay as they are (`null` only for the quota)."""

    NOT_NULL: ClassVar[frozenset[str]] = frozenset({"name", "scopes", "active", "jwks"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    scopes: list[ScopeName] | None = Field(default=None, min_length=1, max_length=50)
    active: StrictBool | None = None
    jwks: dict[str, Any] | None = Field(
        default=None, json_schema_extra={"anyOf": [_JWKS_SCHEMA, {"type": "null"}]}
    )
    # Unlike the others, an explicit null means something: back to the service default.
    rate_limit_per_minute: int | None = _rate_limit_field()

    _scopes = field_validator("scopes")(lambda v: None if v is None else _check_scopes(v))
    _jwks = field_validator("jwks")(_check_jwks)


class ClientPublic(BaseModel):
    """A client as its clinic's administrators see it."""

    client_id: uuid.UUID
    clinic_id: uuid.UUID
    name: str
    scopes: list[str]
    auth_method: AuthMethod
    active: StrictBool
    jwks: dict[str, Any] | None
    rate_limit_per_minute: int | None = Field(description=_RATE_LIMIT_DESCRIPTION)
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None


class ClientCreated(ClientPublic):
    """The creation response: the only time the secret is shown."""

    client_secret: str | None


class ClientSecret(BaseModel):
    """A newly rotated secret (shown once)."""

    client_id: uuid.UUID
    client_secret: str
