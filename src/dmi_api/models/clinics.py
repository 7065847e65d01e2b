"""Clinics and the API clients that act for them."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, LargeBinary
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.columns import JSON_TYPE, clinic_fk, id_field, timestamp_field
from dmi_api.models.tenant_keys import tenant_primary_key

FHIR_ID_KEY_BYTES = 32


class Clinic(TableModel, table=True):
    """A clinic: the tenant every clinical row belongs to."""

    __tablename__ = "clinic"

    id: uuid.UUID = id_field()
    name: str = Field(max_length=200)
    # The clinic's own random key for the FHIR ids that must not show what they name (a
    # Condition's: its diagnosis code; `fhir.conditions.condition_id`). Kept with the clinic's
    # rows, so that a restore keeps the ids; never shown, logged or derived from a setting.
    fhir_id_key: bytes = Field(
        default_factory=lambda: secrets.token_bytes(FHIR_ID_KEY_BYTES), sa_type=LargeBinary
    )
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class ApiClient(TableModel, table=True):
    """A registered caller (EHR integration, app backend, script) of one clinic."""

    __tablename__ = "api_client"
    __table_args__ = (
        tenant_primary_key(),
        CheckConstraint("auth_method IN ('client_secret', 'private_key_jwt')", name="auth_method"),
        CheckConstraint(
            "rate_limit_per_minute IS NULL OR rate_limit_per_minute BETWEEN 1 AND 100000000",
            name="rate_limit_per_minute",
        ),
        Index("ix_api_client_clinic_id_created_at", "clinic_id", "created_at", "id"),
        # The token endpoint and `dmi-api clients ...` find a client by its id alone, before
        # any clinic is known (`services.tokens.find_client`). Not unique: a unique key must
        # include the distribution column (README "Scaling out"); ids are random (uuid4).
        Index("ix_api_client_id", "id"),
    )

    # The id is the OAuth client_id: random, never reused, unique in practice across clinics
    # (122 random bits); a lookup by id alone that found two rows would refuse both.
    id: uuid.UUID = id_field()
    clinic_id: uuid.UUID = clinic_fk()
    name: str = Field(max_length=200)
    scopes: str = Field(max_length=2000)
    auth_method: str = Field(max_length=32)
    secret_hash: str | None = Field(default=None, max_length=200)
    jwks: dict[str, Any] | None = Field(default=None, sa_type=JSON_TYPE)
    active: bool = True
    # Its own quota in cost units a minute (README: "Rate limits"); None: the service default.
    rate_limit_per_minute: int | None = None
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    disabled_at: datetime | None = timestamp_field(nullable=True)
