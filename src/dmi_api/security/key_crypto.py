"""RSA signing-key generation and encryption of private keys at rest."""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_KEY_BITS = 2048
_PUBLIC_EXPONENT = 65537
_VERSION = "v1"
_HKDF_INFO = b"dmi-api signing-key encryption v1"
_SALT_BYTES = 16
_NONCE_BYTES = 12
# The GCM tag (16 bytes) is the least a genuine ciphertext can carry.
_MIN_BLOB_BYTES = _SALT_BYTES + _NONCE_BYTES + 16


class KeyDecryptionError(Exception):
    """The stored private key cannot be decrypted: wrong secret, tampering or bad format."""


@dataclass(frozen=True)
class GeneratedKey:
    """A new signing key: its id, the private key (in memory only) and the public JWK."""

    kid: str
    private_pem: bytes
    public_jwk: dict[str, str]


def _b64url_uint(value: int) -> str:
    # RFC 7518 section 2: big-endian bytes, base64url, no padding.
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def generate_signing_key() -> GeneratedKey:
    """A fresh RSA-2048 key pair with a random `kid`, for RS256."""
    private = rsa.generate_private_key(public_exponent=_PUBLIC_EXPONENT, key_size=_KEY_BITS)
    numbers = private.public_key().public_numbers()
    kid = secrets.token_urlsafe(12)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    jwk = {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }
    return GeneratedKey(kid=kid, private_pem=pem, public_jwk=jwk)


def _derive(secret: str, salt: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO)
    return AESGCM(hkdf.derive(secret.encode("utf-8", "surrogatepass")))


def encrypt_private_key(private_pem: bytes, secret: str) -> str:
    """Encrypt a private key for a text column: `v1:` + base64url(salt, nonce, AES-GCM output)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    # The version is authenticated too, so a blob cannot be relabelled as another format.
    sealed = _derive(secret, salt).encrypt(nonce, private_pem, _VERSION.encode("ascii"))
    return f"{_VERSION}:" + base64.urlsafe_b64encode(salt + nonce + sealed).decode("ascii")


def decrypt_private_key(token: str, secret: str) -> bytes:
    """Decrypt what `encrypt_private_key` stored; `KeyDecryptionError` on any failure."""
    version, _, body = token.partition(":")
    if version != _VERSION:
        raise KeyDecryptionError("unknown format")
    try:
        blob = base64.b64decode(body.encode("ascii"), altchars=b"-_", validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise KeyDecryptionError("malformed") from None
    if len(blob) < _MIN_BLOB_BYTES:
        raise KeyDecryptionError("malformed")
    salt, nonce = blob[:_SALT_BYTES], blob[_SALT_BYTES : _SALT_BYTES + _NONCE_BYTES]
    sealed = blob[_SALT_BYTES + _NONCE_BYTES :]
    try:
        return _derive(secret, salt).decrypt(nonce, sealed, _VERSION.encode("ascii"))
    except InvalidTag:
        raise KeyDecryptionError("wrong secret or tampered ciphertext") from None
