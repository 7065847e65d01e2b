"""Client secrets: generation, scrypt hashing and constant-work verification."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from dmi_api.security.secrets import (
    generate_client_secret,
    hash_client_secret,
    verify_client_secret,
)

pytestmark = pytest.mark.real_secret_cost

SECRET = "7P4sW0rd-like-but-random-0123456789abcdefgh"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_client_secret(SECRET)


def test_generated_secrets_are_long_random_and_url_safe() -> None:
    first, second = generate_client_secret(), generate_client_secret()
    assert first != second
    assert len(first) == 43
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", first)


def test_hash_format(stored: str) -> None:
    name, n, r, p, salt, digest = stored.split("$")
    assert (name, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt, validate=True)) == 16
    assert len(base64.b64decode(digest, validate=True)) == 32
    assert SECRET not in stored


def test_two_hashes_of_one_secret_differ(stored: str) -> None:
    again = hash_client_secret(SECRET)
    assert again != stored
    assert again.split("$")[4] != stored.split("$")[4]
    assert verify_client_secret(SECRET, again)


def test_verify(stored: str) -> None:
    assert verify_client_secret(SECRET, stored) is True
    assert verify_client_secret(SECRET + "x", stored) is False
    assert verify_client_secret(SECRET[:-1], stored) is False
    assert verify_client_secret("", stored) is False
    assert verify_client_secret(generate_client_secret(), stored) is False


def test_odd_secrets_do_not_raise() -> None:
    odd = "caf\u00e9 \ud800 \x00"
    assert verify_client_secret(odd, hash_client_secret(odd)) is True
    too_long = "x" * 10_000
    assert verify_client_secret(too_long, hash_client_secret(too_long)) is False


def _malformed(stored: str) -> list[str]:
    _, _, _, _, salt, digest = stored.split("$")
    return [
        "",
        "scrypt",
        "scrypt$$$$$",
        f"bcrypt$16384$8$1${salt}${digest}",
        f"scrypt$16384$8$1${salt}",
        f"scrypt$16384$8$1${salt}${digest}$extra",
        f"scrypt$16000$8$1${salt}${digest}",  # N not a power of two
        f"scrypt$67108864$8$1${salt}${digest}",  # would need 64 GiB
        f"scrypt$16384$0$1${salt}${digest}",
        f"scrypt$16384$8$99${salt}${digest}",
        f"scrypt$\u00b9\u2076384$8$1${salt}${digest}",  # digits int() would accept
        f"scrypt$16384$8$1$!!!!${digest}",
        f"scrypt$16384$8$1${salt}${digest[:-4]}",
        f"scrypt$16384$8$1${salt[:8]}${digest}",
        stored + "\n",
        stored.upper(),
    ]


def test_malformed_stored_hashes_are_false_not_errors(stored: str) -> None:
    for value in _malformed(stored):
        assert verify_client_secret(SECRET, value) is False, value


def test_unknown_and_malformed_still_spend_one_scrypt(
    stored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(password: bytes, **kwargs: int) -> bytes:
        calls.append(kwargs["n"])
        return real(password, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "scrypt", counting)
    for value in (None, "garbage", stored):
        calls.clear()
        verify_client_secret(SECRET, value)
        assert calls == [2**14], value
