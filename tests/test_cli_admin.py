"""Operator commands against a real database: clinics, clients, keys, demo credentials."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from dmi_api.config import Settings
from dmi_api.migrate import upgrade_to_head
from tests.conftest import build_test_app
from tests.support.forge import new_rsa_pem, rsa_public_jwk


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgrade_to_head(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    return env | {"DMI_DATABASE_URL": url, "DMI_ISSUER": "http://testserver"}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dmi_api.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_clinic_client_lifecycle(sqlite_env: dict[str, str], tmp_path: Path) -> None:
    clinic = cli(sqlite_env, "clinics", "create", "--name", "Sunrise Therapy", "--json")
    assert clinic.returncode == 0, clinic.stderr
    clinic_id = json.loads(clinic.stdout)["clinic_id"]

    created = cli(
        sqlite_env,
        "clients",
        "create",
        "--clinic",
        clinic_id,
        "--name",
        "EHR",
        "--scopes",
        "children:read clients:admin",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    client = json.loads(created.stdout)
    assert set(client) == {"client_id", "client_secret", "clinic_id", "scopes"}
    assert client["clinic_id"] == clinic_id
    assert client["scopes"] == "children:read clients:admin"

    async def token_status(secret: str) -> int:
        settings = Settings(
            database_url=SecretStr(sqlite_env["DMI_DATABASE_URL"]), issuer="http://testserver"
        )
        app = build_test_app(settings)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            response = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client["client_id"], secret),
            )
        await app.state.engine.dispose()
        return response.status_code

    assert asyncio.run(token_status(client["client_secret"])) == 200

    rotated = cli(sqlite_env, "clients", "rotate-secret", client["client_id"], "--json")
    assert rotated.returncode == 0, rotated.stderr
    new_secret = json.loads(rotated.stdout)["client_secret"]
    assert asyncio.run(token_status(client["client_secret"])) == 401
    assert asyncio.run(token_status(new_secret)) == 200

    disabled = cli(sqlite_env, "clients", "disable", client["client_id"])
    assert disabled.returncode == 0, disabled.stderr
    assert asyncio.run(token_status(new_secret)) == 401

    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [rsa_public_jwk(new_rsa_pem(), "k1")]}))
    jwt_client = cli(
        sqlite_env,
        "clients",
        "create",
        "--clinic",
        clinic_id,
        "--name",
        "app",
        "--scopes",
        "children:read",
        "--jwks",
        str(jwks_file),
        "--json",
    )
    assert jwt_client.returncode == 0, jwt_client.stderr
    assert json.loads(jwt_client.stdout)["client_secret"] is None


def test_operator_mistakes_are_messages(sqlite_env: dict[str, str]) -> None:
    unknown = cli(
        sqlite_env,
        "clients",
        "create",
        "--clinic",
        "00000000-0000-4000-8000-000000000000",
        "--name",
        "x",
        "--scopes",
        "children:read",
    )
    assert unknown.returncode == 1
    assert "no such clinic" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad_scope = cli(
        sqlite_env, "clients", "create", "--clinic", "x", "--name", "x", "--scopes", "god"
    )
    assert bad_scope.returncode == 1
    assert "Traceback" not in bad_scope.stderr


def test_keys_rotate(sqlite_env: dict[str, str]) -> None:
    first = cli(sqlite_env, "keys", "rotate", "--json")
    second = cli(sqlite_env, "keys", "rotate", "--json")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert json.loads(first.stdout)["kid"] != json.loads(second.stdout)["kid"]
