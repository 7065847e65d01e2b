"""Access tokens and client assertions: every attack is a hand-forged token, one flaw at a time."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from dmi_api.security.access_tokens import (
    ACCESS_TOKEN_TYPE,
    AccessTokenClaims,
    InvalidTokenError,
    SigningKeySet,
    read_token_kid,
    sign_access_token,
    verify_access_token,
)
from dmi_api.security.client_assertions import (
    InvalidAssertionError,
    read_assertion_client_id,
    validate_client_jwks,
    verify_client_assertion,
)
from dmi_api.security.jws import FORBIDDEN_HEADERS
from dmi_api.security.key_crypto import GeneratedKey, generate_signing_key

ISSUER = "https://api.example.test"
AUDIENCE = "dmi-api"
TOKEN_URL = f"{ISSUER}/oauth/token"
CLIENT = "0b5e7c1e-5c39-4a51-9d1c-3c1f3f1b2a10"
CLINIC = "6f0b7f9e-2d7e-4a5f-8f55-9b1c2a3d4e5f"
NOW = 1_900_000_000
LIFETIME = 600
LEEWAY = 30
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi")
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "256": hashes.SHA256(),
    "384": hashes.SHA384(),
    "512": hashes.SHA512(),
}

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


# --- forging -------------------------------------------------------------------------------------


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def segment(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def sign(signing_input: bytes, alg: str, key: SigningKey | bytes | None) -> bytes:
    """A genuine signature for `alg` (an HMAC when `key` is bytes, none when None)."""
    digest = _HASHES.get(alg[2:])
    if key is None or alg == "none":
        return b""
    if isinstance(key, bytes):
        return hmac.new(key, signing_input, hashlib.sha256).digest()
    assert digest is not None
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(signing_input, padding.PKCS1v15(), digest)
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(digest)))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def forge(header: dict[str, Any], claims: dict[str, Any], key: SigningKey | bytes | None) -> str:
    """A compact JWS built by hand, signed as `header["alg"]` says (whatever that is)."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    signature = sign(signing_input.encode(), str(header.get("alg", "")), key)
    return f"{signing_input}.{b64url(signature)}"


def load_private(generated: GeneratedKey) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(generated.private_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def rsa_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "n": uint(numbers.n), "e": uint(numbers.e)}


def ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    size = (key.curve.key_size + 7) // 8
    crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key.curve.name]
    return {
        "kty": "EC",
        "kid": kid,
        "crv": crv,
        "x": b64url(numbers.x.to_bytes(size, "big")),
        "y": b64url(numbers.y.to_bytes(size, "big")),
    }


def new_rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def active() -> GeneratedKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def older() -> GeneratedKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def key_set(active: GeneratedKey, older: GeneratedKey) -> SigningKeySet:
    return SigningKeySet(active.kid, active.private_pem, [active.public_jwk, older.public_jwk])


@pytest.fixture(scope="module")
def our_key(active: GeneratedKey) -> rsa.RSAPrivateKey:
    return load_private(active)


@pytest.fixture(scope="module")
def foreign_key() -> rsa.RSAPrivateKey:
    return new_rsa()


def access_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": CLIENT,
        "client_id": CLIENT,
        "clinic_id": CLINIC,
        "scope": "patients.read sessions.write",
        "iat": NOW,
        "exp": NOW + 300,
        "jti": "token-1",
    }
    claims.update(changes)
    return claims


def access_header(kid: str, **changes: Any) -> dict[str, Any]:
    return {"alg": "RS256", "typ": ACCESS_TOKEN_TYPE, "kid": kid, **changes}


def verify(token: str, keys: SigningKeySet) -> AccessTokenClaims:
    return verify_access_token(
        token,
        keys,
        issuer=ISSUER,
        audience=AUDIENCE,
        max_lifetime_seconds=LIFETIME,
        leeway_seconds=LEEWAY,
        now=NOW,
    )


def rejected(token: Any, keys: SigningKeySet) -> str:
    """The reason `token` is refused (failing the test if it is accepted)."""
    with pytest.raises(InvalidTokenError) as caught:
        verify(token, keys)
    reason = caught.value.reason
    assert isinstance(reason, str)
    assert reason
    if isinstance(token, str) and len(token) > 20:
        assert token not in reason
        assert token[-20:] not in reason
    return reason


# --- access tokens: success ----------------------------------------------------------------------


EXPECTED = AccessTokenClaims(
    issuer=ISSUER,
    audience=AUDIENCE,
    client_id=CLIENT,
    clinic_id=CLINIC,
    scope="patients.read sessions.write",
    issued_at=NOW,
    expires_at=NOW + 300,
    jti="token-1",
)


def test_round_trip(key_set: SigningKeySet, active: GeneratedKey) -> None:
    token = sign_access_token(EXPECTED, key_set)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": active.kid}
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert payload == access_claims()
    assert verify(token, key_set) == EXPECTED
    assert read_token_kid(token) == active.kid


def test_hand_forged_token_with_our_key_is_accepted(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey
) -> None:
    # The control for every attack below: the forging helper itself makes valid tokens.
    assert verify(forge(access_header(active.kid), access_claims(), our_key), key_set) == EXPECTED


@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"])
def test_typ_variants_of_rfc_9068_are_accepted(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey, typ: str
) -> None:
    token = forge(access_header(active.kid, typ=typ), access_claims(), our_key)
    assert verify(token, key_set).client_id == CLIENT


def test_aud_list_containing_ours_is_accepted(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey
) -> None:
    token = forge(access_header(active.kid), access_claims(aud=["other", AUDIENCE]), our_key)
    assert verify(token, key_set).audience == AUDIENCE


def test_clock_skew_within_leeway_is_accepted(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey
) -> None:
    late = access_claims(iat=NOW - 320, exp=NOW - LEEWAY + 1)
    early = access_claims(iat=NOW + LEEWAY, exp=NOW + LEEWAY + 300)
    for claims in (late, early):
        assert verify(forge(access_header(active.kid), claims, our_key), key_set)


def test_key_rotation(active: GeneratedKey, older: GeneratedKey) -> None:
    before = SigningKeySet(older.kid, older.private_pem, [older.public_jwk])
    old_token = sign_access_token(EXPECTED, before)
    after = SigningKeySet(active.kid, active.private_pem, [active.public_jwk, older.public_jwk])
    assert verify(old_token, after) == EXPECTED
    assert read_token_kid(sign_access_token(EXPECTED, after)) == active.kid
    retired = SigningKeySet(active.kid, active.private_pem, [active.public_jwk])
    assert rejected(old_token, retired) == "unknown kid"
    assert retired.kids == {active.kid}
    assert after.kids == {active.kid, older.kid}


def test_public_jwks_has_public_members_only(
    key_set: SigningKeySet, active: GeneratedKey, older: GeneratedKey
) -> None:
    jwks = key_set.public_jwks()
    assert [key["kid"] for key in jwks["keys"]] == [active.kid, older.kid]
    for key in jwks["keys"]:
        assert set(key) == {"kty", "kid", "use", "alg", "n", "e"}
        assert not set(PRIVATE_MEMBERS) & set(key)
    assert jwks["keys"][0] == active.public_jwk


def test_keys_are_parsed_once_not_per_call(
    key_set: SigningKeySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_parsing(*args: object, **kwargs: object) -> object:
        raise AssertionError("key material parsed during a call")

    for target in (
        "jose.jwk.construct",
        "jose.backends.cryptography_backend.load_pem_public_key",
        "jose.backends.cryptography_backend.load_pem_private_key",
    ):
        monkeypatch.setattr(target, no_parsing)
    assert verify(sign_access_token(EXPECTED, key_set), key_set) == EXPECTED


def test_key_set_publishes_only_public_members_of_what_it_is_given(
    active: GeneratedKey,
) -> None:
    decorated: dict[str, Any] = {
        **active.public_jwk,
        "x5c": ["MIIB"],
        "key_ops": ["verify"],
        "extra": "x",
    }
    bare = {name: active.public_jwk[name] for name in ("kty", "kid", "n", "e")}
    for jwk in (decorated, bare):
        keys = SigningKeySet(active.kid, active.private_pem, [jwk])
        assert keys.public_jwks() == {"keys": [active.public_jwk]}


def test_key_set_rejects_bad_verification_keys(
    active: GeneratedKey, older: GeneratedKey, our_key: rsa.RSAPrivateKey
) -> None:
    private_numbers = our_key.private_numbers()
    leaked = {**active.public_jwk, "d": uint(private_numbers.d)}
    ec_key = ec_jwk(ec.generate_private_key(ec.SECP256R1()), "ec")
    cases: list[list[dict[str, str]]] = [
        [leaked],
        [active.public_jwk, ec_key],
        [older.public_jwk],  # the active key's public JWK is missing
        [active.public_jwk, active.public_jwk],
        [{**active.public_jwk, "alg": "RS512"}],
        [{k: v for k, v in active.public_jwk.items() if k != "kid"}],
    ]
    for jwks in cases:
        with pytest.raises(ValueError, match=r"."):
            SigningKeySet(active.kid, active.private_pem, jwks)
    mismatched = {**older.public_jwk, "kid": active.kid}
    with pytest.raises(ValueError, match="does not match"):
        SigningKeySet(active.kid, active.private_pem, [mismatched])


# --- access tokens: attacks ----------------------------------------------------------------------


def test_alg_none_is_rejected(key_set: SigningKeySet, active: GeneratedKey) -> None:
    for alg in ("none", "None", "NONE"):
        unsigned = forge(access_header(active.kid, alg=alg), access_claims(), None)
        assert unsigned.endswith(".")
        assert rejected(unsigned, key_set) == "algorithm not allowed"


def test_hs256_with_our_public_key_as_secret_is_rejected(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey
) -> None:
    # The classic confusion attack: the public key is public, so anyone can "HMAC" with it.
    for public in (
        our_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        our_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        ),
        json.dumps(active.public_jwk).encode(),
    ):
        token = forge(access_header(active.kid, alg="HS256"), access_claims(), public)
        assert rejected(token, key_set) == "algorithm not allowed"


@pytest.mark.parametrize("alg", ["RS512", "RS384", "PS256", "ES256", "rs256", "", None, ["RS256"]])
def test_other_algorithms_are_rejected(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey, alg: Any
) -> None:
    signed_as = alg if alg in ("RS512", "RS384") else "RS256"
    signing_input = f"{segment(access_header(active.kid, alg=alg))}.{segment(access_claims())}"
    signature = sign(signing_input.encode(), signed_as, our_key)
    token = f"{signing_input}.{b64url(signature)}"
    assert rejected(token, key_set) == "algorithm not allowed"


def test_missing_alg_is_rejected(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey
) -> None:
    header = {"typ": ACCESS_TOKEN_TYPE, "kid": active.kid}
    signing_input = f"{segment(header)}.{segment(access_claims())}"
    token = f"{signing_input}.{b64url(sign(signing_input.encode(), 'RS256', our_key))}"
    assert rejected(token, key_set) == "algorithm not allowed"


@pytest.mark.parametrize("kid", ["not-our-kid", "", 7, None, ["x"]])
def test_unknown_or_malformed_kid_is_rejected(
    key_set: SigningKeySet, our_key: rsa.RSAPrivateKey, kid: Any
) -> None:
    token = forge({**access_header("placeholder"), "kid": kid}, access_claims(), our_key)
    assert rejected(token, key_set) == "unknown kid"


def test_missing_kid_is_rejected(key_set: SigningKeySet, our_key: rsa.RSAPrivateKey) -> None:
    token = forge({"alg": "RS256", "typ": ACCESS_TOKEN_TYPE}, access_claims(), our_key)
    assert rejected(token, key_set) == "unknown kid"
    assert read_token_kid(token) is None


FORBIDDEN_VALUES: dict[str, Any] = {
    "jku": "https://evil.example/jwks.json",
    "x5u": "https://evil.example/cert.pem",
    "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
    "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
    "crit": ["exp"],
}


def test_every_forbidden_header_is_covered() -> None:
    assert set(FORBIDDEN_VALUES) == FORBIDDEN_HEADERS


@pytest.mark.parametrize("name", sorted(FORBIDDEN_VALUES))
def test_forbidden_header_is_rejected_even_when_signed_by_us(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey, name: str
) -> None:
    header = access_header(active.kid, **{name: FORBIDDEN_VALUES[name]})
    assert rejected(forge(header, access_claims(), our_key), key_set) == "forbidden header"


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "at+JWT+x", "application/jwt", 1, ["at+jwt"]])
def test_wrong_typ_is_rejected(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey, typ: Any
) -> None:
    header = access_header(active.kid, typ=typ)
    if typ is None:
        del header["typ"]
    assert rejected(forge(header, access_claims(), our_key), key_set) == "wrong typ"


TIME_ATTACKS: dict[str, tuple[dict[str, Any], str]] = {
    "expired": ({"iat": NOW - 400, "exp": NOW - LEEWAY - 1}, "expired"),
    "expired_at_leeway_edge": ({"iat": NOW - 330, "exp": NOW - LEEWAY}, "expired"),
    "iat_in_future": ({"iat": NOW + LEEWAY + 1, "exp": NOW + 300}, "iat in the future"),
    "nbf_in_future": ({"nbf": NOW + LEEWAY + 1}, "not yet valid (nbf)"),
    "lifetime_too_long": ({"iat": NOW, "exp": NOW + LIFETIME + 1}, "lifetime too long"),
    "exp_before_iat": ({"iat": NOW, "exp": NOW - 1}, "exp before iat"),
}


@pytest.mark.parametrize("case", sorted(TIME_ATTACKS))
def test_time_claims_are_enforced(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey, case: str
) -> None:
    changes, reason = TIME_ATTACKS[case]
    token = forge(access_header(active.kid), access_claims(**changes), our_key)
    assert rejected(token, key_set) == reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "someone-else"}, "wrong aud"),
        ({"aud": ["someone-else", "another"]}, "wrong aud"),
        ({"aud": []}, "wrong aud"),
        ({"iss": "https://evil.example"}, "wrong iss"),
        ({"iss": ISSUER + "/"}, "wrong iss"),
        ({"sub": "another-client"}, "sub is not client_id"),
        ({"client_id": "another-client"}, "sub is not client_id"),
    ],
)
def test_wrong_aud_iss_or_sub_is_rejected(
    key_set: SigningKeySet,
    active: GeneratedKey,
    our_key: rsa.RSAPrivateKey,
    changes: dict[str, Any],
    reason: str,
) -> None:
    token = forge(access_header(active.kid), access_claims(**changes), our_key)
    assert rejected(token, key_set) == reason


@pytest.mark.parametrize(
    "claim", ["exp", "iat", "aud", "iss", "sub", "jti", "client_id", "clinic_id", "scope"]
)
def test_each_required_claim_is_required(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey, claim: str
) -> None:
    claims = {name: value for name, value in access_claims().items() if name != claim}
    reason = rejected(forge(access_header(active.kid), claims, our_key), key_set)
    assert reason.startswith("missing")
    assert claim in reason


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", str(NOW + 300)),
        ("exp", True),
        ("exp", None),
        ("exp", [NOW + 300]),
        ("exp", float("inf")),
        ("exp", float("nan")),
        ("iat", {"at": NOW}),
        ("iat", False),
        ("nbf", True),
        ("nbf", str(NOW)),
        ("aud", 5),
        ("aud", [AUDIENCE, 5]),
        ("iss", 5),
        ("sub", 5),
        ("jti", 5),
        ("jti", ""),
        ("client_id", None),
        ("clinic_id", 5),
        ("clinic_id", ""),
        ("scope", ["patients.read"]),
    ],
)
def test_wrong_claim_types_are_rejected(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey, claim: str, value: Any
) -> None:
    token = forge(access_header(active.kid), access_claims(**{claim: value}), our_key)
    reason = rejected(token, key_set)
    if claim in ("exp", "iat", "nbf"):
        assert reason == f"malformed {claim}"


def test_tampered_payload_is_rejected(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey
) -> None:
    header, _, signature = forge(access_header(active.kid), access_claims(), our_key).split(".")
    for changes in ({"scope": "admin"}, {"clinic_id": "another-clinic"}, {"exp": NOW + 301}):
        tampered = f"{header}.{segment(access_claims(**changes))}.{signature}"
        assert rejected(tampered, key_set) == "bad signature"


def test_foreign_key_claiming_our_kid_is_rejected(
    key_set: SigningKeySet, active: GeneratedKey, foreign_key: rsa.RSAPrivateKey
) -> None:
    token = forge(access_header(active.kid), access_claims(), foreign_key)
    assert rejected(token, key_set) == "bad signature"


def test_signature_of_another_of_our_keys_is_rejected(
    key_set: SigningKeySet, active: GeneratedKey, older: GeneratedKey
) -> None:
    token = forge(access_header(active.kid), access_claims(), load_private(older))
    assert rejected(token, key_set) == "bad signature"


GARBAGE: list[Any] = [
    "",
    " ",
    "a",
    "a.b",
    "a.b.c",
    "a.b.c.d",
    "...",
    "..",
    "é.é.é",
    "eyJ.eyJ.\u0000",
    "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
    f"{segment([1, 2])}.{segment({})}.c2ln",
    f"{segment(None)}.{segment({})}.c2ln",
    f"{segment('RS256')}.{segment({})}.c2ln",
    f"{b64url(b'not json')}.{segment({})}.c2ln",
    f"{b64url(bytes([0xFF, 0xFE]))}.{segment({})}.c2ln",
    f"{segment({'alg': 'RS256'})}.x.c2ln",
    f"{segment({'alg': 'RS256'})}.{segment({})}.c",
    "=" * 20,
    b"eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
    None,
    12345,
]


@pytest.mark.parametrize("token", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_is_rejected(key_set: SigningKeySet, token: Any) -> None:
    rejected(token, key_set)
    assert read_token_kid(token) is None
    assert read_assertion_client_id(token) is None


def test_non_object_payload_is_rejected(
    key_set: SigningKeySet, active: GeneratedKey, our_key: rsa.RSAPrivateKey
) -> None:
    for payload in ([access_claims()], "claims", 42, None):
        signing_input = f"{segment(access_header(active.kid))}.{segment(payload)}"
        token = f"{signing_input}.{b64url(sign(signing_input.encode(), 'RS256', our_key))}"
        rejected(token, key_set)


def test_oversized_token_is_rejected_before_parsing(
    key_set: SigningKeySet,
    active: GeneratedKey,
    our_key: rsa.RSAPrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_parsing(*args: object, **kwargs: object) -> object:
        raise AssertionError("an oversized token reached jose")

    big = forge(access_header(active.kid), access_claims(pad="x" * 9000), our_key)
    monkeypatch.setattr("jose.jws._load", no_parsing)
    assert rejected(big, key_set) == "malformed token"
    assert rejected("a" * 100_000 + ".b.c", key_set) == "malformed token"


def test_mutated_tokens_never_raise_anything_else(key_set: SigningKeySet) -> None:
    token = sign_access_token(EXPECTED, key_set)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ é\u0000"
    rng = random.Random(1234)
    for _ in range(400):
        chars = list(token)
        for _ in range(rng.randint(1, 3)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        mutated = "".join(chars)[: rng.choice([len(token), rng.randrange(len(token) + 1)])]
        # A changed last signature character may carry only padding bits: same bytes, accepted.
        with contextlib.suppress(InvalidTokenError):
            assert verify(mutated, key_set) == EXPECTED


# --- client assertions ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client_rsa() -> rsa.RSAPrivateKey:
    return new_rsa()


@pytest.fixture(scope="module")
def client_ec() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def client_jwks(client_rsa: rsa.RSAPrivateKey, client_ec: ec.EllipticCurvePrivateKey) -> Any:
    return validate_client_jwks({"keys": [rsa_jwk(client_rsa, "rsa-1"), ec_jwk(client_ec, "ec-1")]})


def assertion_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": TOKEN_URL,
        "iat": NOW,
        "exp": NOW + 240,
        "jti": "assertion-1",
    }
    claims.update(changes)
    return claims


def assertion_header(alg: str, kid: str | None, **changes: Any) -> dict[str, Any]:
    header: dict[str, Any] = {"alg": alg, "typ": "JWT", **changes}
    if kid is not None:
        header["kid"] = kid
    return header


def check_assertion(assertion: Any, jwks: Any) -> str:
    """The reason `assertion` is refused (failing the test if it is accepted)."""
    with pytest.raises(InvalidAssertionError) as caught:
        verify_client_assertion(
            assertion, jwks, client_id=CLIENT, token_url=TOKEN_URL, leeway_seconds=LEEWAY, now=NOW
        )
    reason = caught.value.reason
    assert reason
    if isinstance(assertion, str) and len(assertion) > 20:
        assert assertion[-20:] not in reason
    return reason


def accept_assertion(assertion: str, jwks: Any) -> tuple[str, int]:
    result = verify_client_assertion(
        assertion, jwks, client_id=CLIENT, token_url=TOKEN_URL, leeway_seconds=LEEWAY, now=NOW
    )
    return result.jti, result.expires_at


@pytest.mark.parametrize(
    ("alg", "kid"), [("RS384", "rsa-1"), ("RS256", "rsa-1"), ("ES384", "ec-1")]
)
def test_assertion_success(
    client_jwks: Any,
    client_rsa: rsa.RSAPrivateKey,
    client_ec: ec.EllipticCurvePrivateKey,
    alg: str,
    kid: str,
) -> None:
    key: SigningKey = client_rsa if alg.startswith("RS") else client_ec
    assertion = forge(assertion_header(alg, kid), assertion_claims(), key)
    assert read_assertion_client_id(assertion) == CLIENT
    assert accept_assertion(assertion, client_jwks) == ("assertion-1", NOW + 240)


def test_assertion_without_kid_uses_the_only_fitting_key(
    client_jwks: Any, client_rsa: rsa.RSAPrivateKey, client_ec: ec.EllipticCurvePrivateKey
) -> None:
    for alg, key in (("ES384", client_ec), ("RS384", client_rsa)):
        assertion = forge(assertion_header(alg, None), assertion_claims(), key)
        assert accept_assertion(assertion, client_jwks)[0] == "assertion-1"
    two_rsa = validate_client_jwks({"keys": [rsa_jwk(client_rsa, "a"), rsa_jwk(new_rsa(), "b")]})
    assertion = forge(assertion_header("RS384", None), assertion_claims(), client_rsa)
    assert check_assertion(assertion, two_rsa) == "no kid and no single fitting key"


def test_assertion_aud_list_and_optional_claims(
    client_jwks: Any, client_rsa: rsa.RSAPrivateKey
) -> None:
    claims = assertion_claims(aud=["https://other.example", TOKEN_URL], nbf=NOW - 5)
    del claims["iat"]
    assertion = forge(assertion_header("RS384", "rsa-1"), claims, client_rsa)
    assert accept_assertion(assertion, client_jwks) == ("assertion-1", NOW + 240)


ASSERTION_CLAIM_ATTACKS: dict[str, tuple[dict[str, Any], str]] = {
    "wrong_aud": ({"aud": f"{ISSUER}/oauth/other"}, "wrong aud"),
    "aud_is_issuer": ({"aud": ISSUER}, "wrong aud"),
    "iss_not_sub": ({"sub": "another-client"}, "wrong sub"),
    "other_client": ({"iss": "another-client", "sub": "another-client"}, "wrong iss"),
    "exp_too_far_ahead": ({"exp": NOW + 300 + LEEWAY + 1}, "exp too far ahead"),
    "expired": ({"exp": NOW - LEEWAY}, "expired"),
    "exp_as_string": ({"exp": str(NOW + 60)}, "malformed exp"),
    "iat_in_future": ({"iat": NOW + LEEWAY + 1}, "iat in the future"),
    "nbf_in_future": ({"nbf": NOW + LEEWAY + 1}, "not yet valid (nbf)"),
    "empty_jti": ({"jti": ""}, "missing or malformed jti"),
    "jti_not_string": ({"jti": 7}, "malformed jti"),
    "jti_too_long": ({"jti": "j" * 256}, "jti too long"),
}


@pytest.mark.parametrize("case", sorted(ASSERTION_CLAIM_ATTACKS))
def test_assertion_claims_are_enforced(
    client_jwks: Any, client_rsa: rsa.RSAPrivateKey, case: str
) -> None:
    changes, reason = ASSERTION_CLAIM_ATTACKS[case]
    assertion = forge(assertion_header("RS384", "rsa-1"), assertion_claims(**changes), client_rsa)
    assert check_assertion(assertion, client_jwks) == reason


@pytest.mark.parametrize("claim", ["exp", "jti", "iss", "sub", "aud"])
def test_assertion_required_claims(
    client_jwks: Any, client_rsa: rsa.RSAPrivateKey, claim: str
) -> None:
    claims = {name: value for name, value in assertion_claims().items() if name != claim}
    assertion = forge(assertion_header("RS384", "rsa-1"), claims, client_rsa)
    assert check_assertion(assertion, client_jwks) == f"missing {claim}"


def test_assertion_lifetime_edge_is_accepted(
    client_jwks: Any, client_rsa: rsa.RSAPrivateKey
) -> None:
    claims = assertion_claims(exp=NOW + 300 + LEEWAY)
    assertion = forge(assertion_header("RS384", "rsa-1"), claims, client_rsa)
    assert accept_assertion(assertion, client_jwks)[1] == NOW + 300 + LEEWAY


def test_assertion_algorithm_not_allowed(client_jwks: Any, client_rsa: rsa.RSAPrivateKey) -> None:
    public_pem = client_rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    attacks: list[tuple[str, SigningKey | bytes | None]] = [
        ("RS512", client_rsa),
        ("HS256", public_pem),
        ("none", None),
        ("PS256", client_rsa),
    ]
    for alg, key in attacks:
        assertion = forge(assertion_header(alg, "rsa-1"), assertion_claims(), key)
        assert check_assertion(assertion, client_jwks) == "algorithm not allowed"


def test_assertion_alg_must_match_the_key(
    client_jwks: Any, client_rsa: rsa.RSAPrivateKey, client_ec: ec.EllipticCurvePrivateKey
) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    mismatches: list[tuple[str, str, SigningKey]] = [
        ("ES256", "ec-1", p256),  # P-384 key named, ES256 asked for
        ("RS256", "ec-1", client_rsa),
        ("ES384", "rsa-1", client_ec),
    ]
    for alg, kid, key in mismatches:
        assertion = forge(assertion_header(alg, kid), assertion_claims(), key)
        assert check_assertion(assertion, client_jwks) == "alg does not match the key"
    declared = validate_client_jwks({"keys": [{**rsa_jwk(client_rsa, "r"), "alg": "RS256"}]})
    assertion = forge(assertion_header("RS384", "r"), assertion_claims(), client_rsa)
    assert check_assertion(assertion, declared) == "alg does not match the key"


def test_assertion_unknown_kid_and_foreign_signature(
    client_jwks: Any, client_rsa: rsa.RSAPrivateKey, foreign_key: rsa.RSAPrivateKey
) -> None:
    unknown = forge(assertion_header("RS384", "nope"), assertion_claims(), client_rsa)
    assert check_assertion(unknown, client_jwks) == "unknown kid"
    foreign = forge(assertion_header("RS384", "rsa-1"), assertion_claims(), foreign_key)
    assert check_assertion(foreign, client_jwks) == "bad signature"
    p384 = ec.generate_private_key(ec.SECP384R1())
    foreign_ec = forge(assertion_header("ES384", "ec-1"), assertion_claims(), p384)
    assert check_assertion(foreign_ec, client_jwks) == "bad signature"


@pytest.mark.parametrize("name", sorted(FORBIDDEN_VALUES))
def test_assertion_forbidden_headers(
    client_jwks: Any, client_rsa: rsa.RSAPrivateKey, name: str
) -> None:
    header = assertion_header("RS384", "rsa-1", **{name: FORBIDDEN_VALUES[name]})
    assertion = forge(header, assertion_claims(), client_rsa)
    assert check_assertion(assertion, client_jwks) == "forbidden header"


@pytest.mark.parametrize("token", GARBAGE, ids=range(len(GARBAGE)))
def test_assertion_garbage(client_jwks: Any, token: Any) -> None:
    check_assertion(token, client_jwks)


def test_assertion_with_unusable_stored_jwks(client_rsa: rsa.RSAPrivateKey) -> None:
    assertion = forge(assertion_header("RS384", "rsa-1"), assertion_claims(), client_rsa)
    leaked = {**rsa_jwk(client_rsa, "rsa-1"), "d": uint(client_rsa.private_numbers().d)}
    stored: list[Any] = [{}, {"keys": "nope"}, {"keys": [leaked]}, {"keys": [None]}, [], None]
    for jwks in stored:
        check_assertion(assertion, jwks)


def test_read_assertion_client_id_needs_iss_equal_sub(client_rsa: rsa.RSAPrivateKey) -> None:
    header = assertion_header("RS384", "rsa-1")
    assert read_assertion_client_id(forge(header, assertion_claims(sub="x"), client_rsa)) is None
    assert read_assertion_client_id(forge(header, assertion_claims(iss=5), client_rsa)) is None
    big = forge(header, assertion_claims(pad="x" * 9000), client_rsa)
    assert read_assertion_client_id(big) is None


# --- client JWKS registration --------------------------------------------------------------------


def test_validate_client_jwks_keeps_public_members_only(
    client_rsa: rsa.RSAPrivateKey, client_ec: ec.EllipticCurvePrivateKey
) -> None:
    extra = {"x5c": ["MIIB"], "key_ops": ["verify"], "use": "sig", "alg": "ES384"}
    jwks = validate_client_jwks(
        {"keys": [rsa_jwk(client_rsa, "r"), {**ec_jwk(client_ec, "e"), **extra}], "other": 1}
    )
    assert set(jwks) == {"keys"}
    assert set(jwks["keys"][0]) == {"kty", "kid", "n", "e"}
    assert set(jwks["keys"][1]) == {"kty", "kid", "crv", "x", "y", "use", "alg"}


def rsa_private_jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    numbers = key.private_numbers()
    return {
        **rsa_jwk(key, "leak"),
        "d": uint(numbers.d),
        "p": uint(numbers.p),
        "q": uint(numbers.q),
        "dp": uint(numbers.dmp1),
        "dq": uint(numbers.dmq1),
        "qi": uint(numbers.iqmp),
    }


@pytest.mark.parametrize("member", PRIVATE_MEMBERS)
def test_validate_client_jwks_rejects_each_private_member(
    client_rsa: rsa.RSAPrivateKey, member: str
) -> None:
    key = {**rsa_jwk(client_rsa, "r"), member: rsa_private_jwk(client_rsa)[member]}
    with pytest.raises(ValueError, match="private"):
        validate_client_jwks({"keys": [key]})


def test_validate_client_jwks_rejects_private_ec_and_full_private_rsa(
    client_rsa: rsa.RSAPrivateKey, client_ec: ec.EllipticCurvePrivateKey
) -> None:
    private_ec = {**ec_jwk(client_ec, "e"), "d": uint(client_ec.private_numbers().private_value)}
    for key in (private_ec, rsa_private_jwk(client_rsa)):
        with pytest.raises(ValueError, match="private"):
            validate_client_jwks({"keys": [key]})


InvalidJwks = Callable[[rsa.RSAPrivateKey], Any]
INVALID_JWKS: dict[str, InvalidJwks] = {
    "oct": lambda k: {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]},
    "oct_without_k": lambda k: {"keys": [{"kty": "oct", "kid": "o"}]},
    "empty": lambda k: {"keys": []},
    "no_keys": lambda k: {},
    "keys_not_list": lambda k: {"keys": rsa_jwk(k, "r")},
    "eleven": lambda k: {"keys": [rsa_jwk(k, f"r{i}") for i in range(11)]},
    "duplicate_kid": lambda k: {"keys": [rsa_jwk(k, "r"), rsa_jwk(k, "r")]},
    "enc_key": lambda k: {"keys": [{**rsa_jwk(k, "r"), "use": "enc"}]},
    "rs512_key": lambda k: {"keys": [{**rsa_jwk(k, "r"), "alg": "RS512"}]},
    "missing_n": lambda k: {"keys": [{"kty": "RSA", "e": "AQAB"}]},
    "n_not_string": lambda k: {"keys": [{**rsa_jwk(k, "r"), "n": 12345}]},
    "n_not_base64": lambda k: {"keys": [{**rsa_jwk(k, "r"), "n": "!!!!"}]},
    "small_rsa": lambda k: {"keys": [rsa_jwk(new_rsa(1024), "r")]},
    "p521": lambda k: {"keys": [ec_jwk(ec.generate_private_key(ec.SECP521R1()), "e")]},
    "off_curve": lambda k: {"keys": [{"kty": "EC", "crv": "P-256", "x": "AQ", "y": "AQ"}]},
    "not_object": lambda k: {"keys": ["RSA"]},
}


@pytest.mark.parametrize("case", sorted(INVALID_JWKS))
def test_validate_client_jwks_rejects(client_rsa: rsa.RSAPrivateKey, case: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        validate_client_jwks(INVALID_JWKS[case](client_rsa))


def test_validate_client_jwks_accepts_ten_keys(client_rsa: rsa.RSAPrivateKey) -> None:
    jwks = validate_client_jwks({"keys": [rsa_jwk(client_rsa, f"r{i}") for i in range(10)]})
    assert len(jwks["keys"]) == 10
