"""Hand-made JWTs for attack tests: any header, any claims, any (or no) signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def forge(
    header: dict[str, Any],
    claims: dict[str, Any],
    *,
    rsa_private_pem: bytes | None = None,
    hmac_secret: bytes | None = None,
) -> str:
    """A compact JWS: RS256 with a PEM, HS256 with a secret, or unsigned."""
    signing_input = f"{_segment(header)}.{_segment(claims)}".encode()
    if rsa_private_pem is not None:
        key = serialization.load_pem_private_key(rsa_private_pem, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif hmac_secret is not None:
        signature = hmac.new(hmac_secret, signing_input, hashlib.sha256).digest()
    else:
        signature = b""
    return f"{signing_input.decode()}.{b64url(signature)}"


def new_rsa_pem() -> bytes:
    """A fresh RSA private key that is not ours."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def rsa_public_jwk(private_pem: bytes, kid: str) -> dict[str, str]:
    """The public JWK of an RSA private key."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    numbers = key.public_key().public_numbers()

    def encode(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    return {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": encode(numbers.n),
        "e": encode(numbers.e),
    }
