"""Webhook signing secrets: made in the Standard Webhooks form (`whsec_` + base64 of 32 random
bytes), kept encrypted at rest (AES-GCM under a key derived from `DMI_SECRET_KEY`), bound to
their endpoint so that a stored secret cannot be moved to another row."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "whsec_"
_VERSION = "v1:"


def new_secret() -> str:
    """A fresh signing secret, shown to the clinic once."""
    return PREFIX + base64.b64encode(os.urandom(32)).decode("ascii")


class SecretBox:
    """Encrypts and decrypts endpoint secrets with the deployment's key."""

    def __init__(self, secret_key: str) -> None:
        key = hashlib.sha256(b"dmi-api webhook secret v1\x00" + secret_key.encode()).digest()
        self._aead = AESGCM(key)

    def seal(self, secret: str, endpoint_id: uuid.UUID) -> str:
        """The stored form of `secret` for this endpoint."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), endpoint_id.bytes)
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, endpoint_id: uuid.UUID) -> str:
        """The secret `seal` stored for this endpoint (raises on tampering or another row)."""
        if not stored.startswith(_VERSION):
            raise ValueError("unknown secret format")
        raw = base64.urlsafe_b64decode(stored[len(_VERSION) :])
        return self._aead.decrypt(raw[:12], raw[12:], endpoint_id.bytes).decode()
