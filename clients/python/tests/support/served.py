"""dmi-api served for real, as an operator runs it: `dmi-api migrate`, a clinic and an API
client made with `dmi-api clinics create` and `dmi-api clients create`, `dmi-api serve` and
`dmi-api worker` (bulk exports, webhook deliveries) as subprocesses on loopback; a second,
private_key_jwt client registered over the API by the first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
from joserfc.jwk import RSAKey

from dmi_api_client import ClientSecret, DmiClient, PrivateKeyJwt, models
from tests.support import postgres
from tests.support.ports import free_port

TOKEN_LIFETIME_SECONDS = 60  # the server's shortest: token refresh is seen within the suite
KEY_ID = "client-tests-key"


@dataclass(frozen=True)
class Served:
    """The served app and the clinic's clients (every scope)."""

    url: str
    clinic_id: str
    secret: ClientSecret
    jwt: PrivateKeyJwt
    key_path: Path
    export_dir: Path

    def cli_env(self, **extra: str) -> dict[str, str]:
        """The environment of a `dmi` (or example) subprocess using the secret client."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
        return (
            env
            | {
                "DMI_URL": self.url,
                "DMI_CLIENT_ID": self.secret.client_id,
                "DMI_CLIENT_SECRET": self.secret.client_secret,
            }
            | extra
        )


def _dmi_api(env: Mapping[str, str], *args: str) -> Any:
    """`dmi-api ARGS --json`, its output parsed."""
    done = subprocess.run(
        [sys.executable, "-m", "dmi_api.cli", *args, "--json"],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dmi-api {args[0]} {args[1]} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"dmi-api serve did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)


class _Processes:
    """Subprocesses stopped together at the end (SIGTERM to all, then wait for each)."""

    def __init__(self) -> None:
        self.running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(
        self, command: list[str], env: Mapping[str, str], log: Path
    ) -> subprocess.Popen[bytes]:
        sink = log.open("wb")
        process = subprocess.Popen(command, env=dict(env), stdout=sink, stderr=subprocess.STDOUT)
        self.running.append((process, sink))
        return process

    def stop(self) -> None:
        for process, _ in self.running:
            process.terminate()
        for process, sink in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            sink.close()


def _new_key(directory: Path) -> tuple[Path, Path]:
    """A private key (PEM) and the public JWKS a private_key_jwt client registers."""
    key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})
    pem, jwks = directory / "client-key.pem", directory / "client-jwks.json"
    pem.write_bytes(key.as_pem(private=True))
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    return pem, jwks


@contextmanager
def serve(workdir: Path) -> Iterator[Served]:
    """Everything up, for as long as the block runs; the database dropped afterwards."""
    with postgres.database() as db, ExitStack() as stack:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        export_dir = workdir / "exports"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")} | {
            "DMI_DATABASE_URL": db.app_url,
            "DMI_MIGRATION_DATABASE_URL": db.owner_url,
            "DMI_DB_APP_ROLE": postgres.APP_GROUP_ROLE,
            "DMI_ISSUER": url,
            "DMI_TOKEN_LIFETIME_SECONDS": str(TOKEN_LIFETIME_SECONDS),
            "DMI_EXPORT_DIR": str(export_dir),
            "DMI_WEBHOOK_ALLOW_LOOPBACK": "true",
            "DMI_LOG_LEVEL": "WARNING",
            "DMI_WORKER_NICE": "0",
            # One client makes the whole suite's requests: past the default quota (its own tests
            # of 429 go through a proxy that answers it).
            "DMI_RATE_LIMIT_PER_MINUTE": "100000000",
            # Every token request comes from 127.0.0.1.
            "DMI_TOKEN_REQUESTS_PER_MINUTE": "100000000",
        }
        migrate = subprocess.run(
            [sys.executable, "-m", "dmi_api.cli", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"dmi-api migrate failed: {migrate.stderr[-2000:]}")
        postgres.ensure_app_role()
        # Served (and started) while the operator commands run.
        processes = _Processes()
        stack.callback(processes.stop)
        server = processes.start(
            [sys.executable, "-m", "dmi_api.cli", "serve", "--port", str(port)],
            env,
            workdir / "serve.log",
        )
        clinic = _dmi_api(env, "clinics", "create", "--name", "Client tests")["clinic_id"]
        made = _dmi_api(
            env, "clients", "create", "--clinic", clinic, "--name", "secret", "--all-scopes"
        )
        _wait_ready(url, server, workdir / "serve.log")
        # Exports and webhook deliveries; the tests that need it wait for its work to be done.
        processes.start(
            [sys.executable, "-m", "dmi_api.cli", "worker", "--concurrency", "4"],
            env,
            workdir / "worker.log",
        )
        secret = ClientSecret(made["client_id"], made["client_secret"])
        # The private_key_jwt client, registered over the API by the first (`clients:admin`).
        pem, jwks = _new_key(workdir)
        with DmiClient(url, secret) as admin:
            scopes = admin.clients.get(secret.client_id).scopes  # every scope
            jwt_client = admin.clients.create(
                models.ClientCreate(
                    name="jwt",
                    scopes=scopes,
                    auth_method="private_key_jwt",
                    jwks=json.loads(jwks.read_text()),
                )
            )
        yield Served(
            url=url,
            clinic_id=clinic,
            secret=secret,
            jwt=PrivateKeyJwt(str(jwt_client.client_id), pem.read_bytes(), key_id=KEY_ID),
            key_path=pem,
            export_dir=export_dir,
        )
