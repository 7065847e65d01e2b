"""Authentication state shared by every worker: signing keys, used assertions, throttles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Text
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import JSON_TYPE, timestamp_field
from dmi_api.models.tenant_keys import tenant_foreign_key


class SigningKey(TableModel, table=True):
    """An RS256 key of ours. A key is published (it verifies, and `/.well-known/jwks.json`
    lists it) from its insertion, signs from `signs_from` until `retired_at`, and verifies
    until its last tokens expire."""

    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True, max_length=64)
    public_jwk: dict[str, Any] = Field(sa_type=JSON_TYPE)
    private_key_encrypted: str = Field(sa_type=Text)
    created_at: datetime = timestamp_field(index=True)
    # Later than `created_at` after a rotation: every worker and replica has loaded the key
    # (it verifies everywhere) before any of them signs with it.
    signs_from: datetime = timestamp_field()
    retired_at: datetime | None = timestamp_field(nullable=True)


class UsedClientAssertion(TableModel, table=True):
    """A client assertion `jti` already spent (RFC 7523 replay protection)."""

    __tablename__ = "used_client_assertion"
    __table_args__ = (tenant_foreign_key("used_client_assertion", "client_id", "api_client"),)

    clinic_id: uuid.UUID = Field(primary_key=True, foreign_key="clinic.id")
    client_id: uuid.UUID = Field(primary_key=True)
    jti: str = Field(primary_key=True, max_length=255)
    expires_at: datetime = timestamp_field(index=True)


class AuthThrottle(TableModel, table=True):
    """Failed client authentications per presented client id and source address (`client_key`:
    `<address or IPv6 /64> <client id>`), across workers and replicas."""

    __tablename__ = "auth_throttle"

    client_key: str = Field(primary_key=True, max_length=255)
    failures: int = 0
    window_started_at: datetime = timestamp_field()
    locked_until: datetime | None = timestamp_field(nullable=True)
