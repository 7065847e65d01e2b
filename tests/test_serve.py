"""`dmi-api serve` for real: uvicorn workers on the embedded default, migrated on start."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from dmi_api.cli import build_parser
from dmi_api.config import Settings
from dmi_api.db import create_engine
from tests.support.ports import free_port
from tests.support.serving import serve_env, serving

# The embedded default is this module's own database: it runs once, in the PostgreSQL pass.
pytestmark = pytest.mark.own_database


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    database = tmp_path_factory.mktemp("serve") / "embedded.db"
    env = serve_env(
        {"DMI_DATABASE_URL": f"sqlite+aiosqlite:///{database}", "DMI_MAX_BODY_BYTES": "4096"}
    )
    log_path = database.parent / "serve.log"
    with serving(env, log_path, workers=2, ready_path="/healthz") as base:
        yield base, database


def test_embedded_database_is_migrated_on_serve(served: tuple[str, Path]) -> None:
    base, database = served
    assert httpx.get(f"{base}/readyz").json() == {"status": "ready"}
    with sqlite3.connect(database) as connection:
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert len(versions) == 1


def test_no_server_banner_and_request_id(served: tuple[str, Path]) -> None:
    base, _ = served
    response = httpx.get(f"{base}/healthz")
    assert "server" not in response.headers
    assert response.headers["x-request-id"]


def test_body_over_limit_is_413_over_http(served: tuple[str, Path]) -> None:
    base, _ = served
    response = httpx.post(
        f"{base}/healthz", content=b"x" * 5000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


def test_header_limits_are_431_over_http(served: tuple[str, Path]) -> None:
    base, _ = served
    many = {f"x-fill-{i}": "1" for i in range(101)}
    large = {"x-big": "a" * (16 * 1024)}
    for headers in (many, large):
        response = httpx.get(f"{base}/healthz", headers=headers)
        assert response.status_code == 431
        assert response.headers["content-type"] == "application/problem+json"


def test_head_over_http_has_no_body(served: tuple[str, Path]) -> None:
    base, _ = served
    get = httpx.get(f"{base}/openapi.json")
    head = httpx.head(f"{base}/openapi.json")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))


def test_empty_embedded_database_prints_demo_credentials_once(served: tuple[str, Path]) -> None:
    base, database = served
    log = (database.parent / "serve.log").read_text()
    assert log.count("client_secret:") == 1
    secret = log.split("client_secret:")[1].split()[0]
    client_id = log.split("client_id:")[1].split()[0]
    token = httpx.post(
        f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert token.status_code == 200
    # Ready for the README's First calls, with the URL it serves on.
    assert f"export DMI_URL={base} CLIENT_ID={client_id} CLIENT_SECRET={secret}" in log
    # Only the terminal saw it: no JSON log line carries the secret.
    assert all(secret not in line for line in log.splitlines() if line.startswith("{"))


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "70000"],
        ["serve", "--port", "-5"],
        ["serve", "--port", "0"],
        ["serve", "--workers", "-1"],
        ["serve", "--workers", "0"],
        ["worker", "--concurrency", "0"],
    ],
)
def test_out_of_range_arguments_are_refused_before_anything_starts(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Not served (port 70000 announced "running on http://127.0.0.1:70000"; --workers -1 and 0
    # served with one): refused by the parser, naming the option, with exit code 2.
    with pytest.raises(SystemExit) as refused:
        build_parser().parse_args(args)
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {args[1]}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_an_export_dir_it_cannot_write_stops_it_at_start(command: str, tmp_path: Path) -> None:
    # Found only when an export ran (each one failed, 'PermissionError' or 'NotADirectoryError'):
    # refused at start instead, naming the setting.
    (tmp_path / "a-file").write_text("")
    database = (
        f"sqlite+aiosqlite:///{tmp_path / 'e.db'}"
        if command == "serve"
        else f"postgresql+asyncpg://dmi@127.0.0.1:{free_port()}/dmi"  # never reached
    )
    env = serve_env(
        {
            "DMI_DATABASE_URL": database,
            "DMI_PORT": str(free_port()),
            "DMI_EXPORT_DIR": str(tmp_path / "a-file" / "exports"),
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "dmi_api.cli", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("dmi-api: DMI_EXPORT_DIR"), result.stderr
    assert result.stderr.count("\n") == 1


def test_help_says_what_the_worker_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # "run webhook delivery jobs": an operator without webhooks would not run one, and on
    # PostgreSQL no bulk export would ever start.
    for args in (["--help"], ["worker", "--help"]):
        with pytest.raises(SystemExit) as shown:
            build_parser().parse_args(args)
        assert shown.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        assert "webhook deliveries, bulk exports" in text
        assert "cli_admin" not in text  # module names are not an operator's business


def test_no_demo_client_when_serving_beyond_this_machine(tmp_path: Path) -> None:
    """Served on every interface (as the Docker image is), an empty embedded database gets no
    demo client: one with every scope, reachable from the network, its secret in the container's
    log. The operator is told how to make a client instead."""
    database = tmp_path / "embedded.db"
    every_interface = "0.0.0.0"  # noqa: S104 (for the few seconds of this test)
    env = serve_env(
        {"DMI_DATABASE_URL": f"sqlite+aiosqlite:///{database}", "DMI_HOST": every_interface}
    )
    log_path = tmp_path / "serve.log"
    with serving(env, log_path, ready_path="/healthz") as base:
        assert httpx.get(f"{base}/readyz").status_code == 200
    log = log_path.read_text()
    assert "client_secret" not in log
    assert "dmi-api demo" in log
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM api_client").fetchone() == (0,)


def test_the_embedded_database_is_the_services_alone(served: tuple[str, Path]) -> None:
    """The file holds children's records: made 0600, not readable by every account of the host
    (it was 0644 under the usual umask); SQLite gives its -wal and -shm files the same mode."""
    _, database = served
    made = [database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]
    modes = {path.name: oct(path.stat().st_mode & 0o777) for path in made if path.exists()}
    assert modes == {path.name: "0o600" for path in made if path.exists()}
    assert database.name in modes


async def test_an_engine_makes_the_file_private_when_it_first_opens_it(tmp_path: Path) -> None:
    """Not `migrate` alone: any engine on a new file makes it 0600 as it opens it, and one that
    never connects makes no file."""
    database = tmp_path / "new.db"
    engine = create_engine(Settings(database_url=SecretStr(f"sqlite+aiosqlite:///{database}")))
    try:
        assert not database.exists()
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        assert oct(database.stat().st_mode & 0o777) == "0o600"
    finally:
        await engine.dispose()
