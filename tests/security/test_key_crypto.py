"""Signing-key generation and encryption of private keys at rest."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from dmi_api.security.key_crypto import (
    GeneratedKey,
    KeyDecryptionError,
    decrypt_private_key,
    encrypt_private_key,
    generate_signing_key,
)

SECRET = "a-long-random-application-secret-0123456789"


@pytest.fixture(scope="module")
def generated() -> GeneratedKey:
    return generate_signing_key()


def test_generated_key_is_rsa_2048_with_matching_public_jwk(generated: GeneratedKey) -> None:
    assert generated.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS8
    private = serialization.load_pem_private_key(generated.private_pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    numbers = private.public_key().public_numbers()
    jwk = generated.public_jwk
    assert set(jwk) == {"kty", "kid", "use", "alg", "n", "e"}
    assert jwk["kid"] == generated.kid
    assert (jwk["kty"], jwk["use"], jwk["alg"], jwk["e"]) == ("RSA", "sig", "RS256", "AQAB")
    assert numbers.e == 65537
    assert int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=="), "big") == numbers.n
    assert "=" not in jwk["n"]


def test_kids_are_random_and_url_safe(generated: GeneratedKey) -> None:
    other = generate_signing_key()
    assert other.kid != generated.kid
    assert len(generated.kid) == 16
    assert base64.urlsafe_b64decode(generated.kid)


def test_encrypt_decrypt_round_trip(generated: GeneratedKey) -> None:
    stored = encrypt_private_key(generated.private_pem, SECRET)
    assert stored.startswith("v1:")
    assert stored.isascii()
    assert b"PRIVATE KEY" not in base64.urlsafe_b64decode(stored[3:])
    assert decrypt_private_key(stored, SECRET) == generated.private_pem


def test_each_encryption_is_different(generated: GeneratedKey) -> None:
    first = encrypt_private_key(generated.private_pem, SECRET)
    second = encrypt_private_key(generated.private_pem, SECRET)
    assert first != second
    assert decrypt_private_key(second, SECRET) == generated.private_pem


@pytest.mark.parametrize("secret", ["", "wrong", SECRET + "x", SECRET.upper()])
def test_wrong_secret_fails(generated: GeneratedKey, secret: str) -> None:
    stored = encrypt_private_key(generated.private_pem, SECRET)
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(stored, secret)


@pytest.mark.parametrize("position", [0, 16, 28, 100, -1])
def test_tampered_ciphertext_fails(generated: GeneratedKey, position: int) -> None:
    # Salt, nonce, ciphertext and tag: a flipped bit anywhere is detected.
    stored = encrypt_private_key(generated.private_pem, SECRET)
    blob = bytearray(base64.urlsafe_b64decode(stored[3:]))
    blob[position] ^= 0x01
    tampered = "v1:" + base64.urlsafe_b64encode(bytes(blob)).decode()
    with pytest.raises(KeyDecryptionError):
        decrypt_private_key(tampered, SECRET)


def test_malformed_stored_values_fail(generated: GeneratedKey) -> None:
    stored = encrypt_private_key(generated.private_pem, SECRET)
    body = stored[3:]
    for value in (
        "",
        "v1:",
        "v1:AAAA",
        "v2:" + body,
        body,
        "v1:" + body[:-8],
        "v1:" + body + "!",
        "v1:é" + body,
    ):
        with pytest.raises(KeyDecryptionError):
            decrypt_private_key(value, SECRET)
