"""The Dockerfile as Docker would run it: its HEALTHCHECK, user, entrypoint and environment.

No Docker engine runs the tests: this reads the Dockerfile and runs its health check command
here, with the files it copies into the image taken from the checkout."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from dmi_api.config import DEFAULT_DATABASE_URL, Settings
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
# Read by docker-entrypoint.sh, not by the settings.
ENTRYPOINT_VARIABLES = {"DMI_MIGRATE_ON_START"}


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the runtime stage, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    lines = [line.strip() for line in joined.splitlines()]
    stages = [i for i, line in enumerate(lines) if line.upper().startswith("FROM ")]
    runtime = [line for line in lines[stages[-1] :] if line and not line.startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in runtime]


def _copied_files() -> dict[str, Path]:
    """The image's path of each file COPY'd from the build context: its checkout file."""
    found = {}
    for name, args in _instructions():
        if name == "COPY" and "--from=" not in args:
            *sources, target = [a for a in args.split() if not a.startswith("--")]
            for source in sources:
                found[target if not target.endswith("/") else target + source] = ROOT / source
    return found


def _healthcheck() -> list[str]:
    [args] = [args for name, args in _instructions() if name == "HEALTHCHECK"]
    command = json.loads(args[args.index("CMD") + len("CMD") :].strip())
    assert isinstance(command, list), "HEALTHCHECK CMD in exec form"
    return [str(part) for part in command]


def _environment() -> dict[str, str]:
    env: dict[str, str] = {}
    for name, args in _instructions():
        if name == "ENV":
            env |= dict(re.findall(r"(\w+)=(\S+)", args))
    return env


def _run_healthcheck(env: dict[str, str], *extra: str) -> int:
    """The image's HEALTHCHECK command run here: `python` is this interpreter, and a file the
    image copied is run from the checkout."""
    command = _healthcheck()
    copied = _copied_files()
    if command[0] == "python":
        argv = [sys.executable, *command[1:]]
    else:
        assert command[0] in copied or f"/usr/local/bin/{command[0]}" in copied, command
        script = copied.get(command[0]) or copied[f"/usr/local/bin/{command[0]}"]
        argv = [sys.executable, str(script), *command[1:]]
    done = subprocess.run(
        [*argv, *extra], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    return done.returncode


class _Healthz(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}')

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def healthz_port() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _container_command(tmp_path: Path, *argv: str) -> str:
    """A stand-in for the container's /proc/1/cmdline (NUL-separated arguments)."""
    path = tmp_path / "cmdline"
    path.write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    return str(path)


SERVE = ("/opt/venv/bin/python", "/opt/venv/bin/dmi-api", "serve")
WORKER = ("/opt/venv/bin/python", "/opt/venv/bin/dmi-api", "worker")


def test_a_server_is_healthy_while_healthz_answers(tmp_path: Path, healthz_port: int) -> None:
    env = {"PATH": "/usr/bin:/bin", "DMI_PORT": str(healthz_port)}
    assert _run_healthcheck(env, _container_command(tmp_path, *SERVE)) == 0
    down = {"PATH": "/usr/bin:/bin", "DMI_PORT": str(free_port())}
    assert _run_healthcheck(down, _container_command(tmp_path, *SERVE)) != 0


def test_a_server_on_another_port_is_checked_there(tmp_path: Path, healthz_port: int) -> None:
    # `docker run … dmi-api serve --port N`: the server listens on N, not DMI_PORT.
    env = {"PATH": "/usr/bin:/bin", "DMI_PORT": str(free_port())}
    command = _container_command(tmp_path, *SERVE, "--port", str(healthz_port))
    assert _run_healthcheck(env, command) == 0


def test_a_worker_container_is_healthy(tmp_path: Path) -> None:
    """`dmi-api worker` (docker-compose.yml's worker, `docker run … dmi-api worker`) serves no
    HTTP: the image's check of /healthz failed in every worker container, which Docker then
    marked unhealthy (and a Swarm service replaced every two minutes, its exports cut off)."""
    env = {"PATH": "/usr/bin:/bin", "DMI_PORT": str(free_port())}
    assert _run_healthcheck(env, _container_command(tmp_path, *WORKER)) == 0


def test_runs_as_a_user_with_exec_form_entrypoint() -> None:
    instructions = _instructions()
    [user] = [args for name, args in instructions if name == "USER"]
    assert user.split(":")[0] not in ("root", "0")
    [entrypoint] = [args for name, args in instructions if name == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["docker-entrypoint.sh"]  # exec form: signals reach it
    entry = (ROOT / "docker-entrypoint.sh").read_text(encoding="utf-8")
    assert "exec dmi-api serve" in entry
    assert "exec dmi-api " in entry


def test_the_images_environment_names_are_settings() -> None:
    settings = {f"DMI_{name}".upper() for name in Settings.model_fields}
    named = {k for k in _environment() if k.startswith("DMI_")}
    assert named
    assert named - settings - ENTRYPOINT_VARIABLES == set()


def test_every_file_the_image_copies_is_in_the_build_context() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for target, source in _copied_files().items():
        assert source.exists(), target
        relative = source.relative_to(ROOT).as_posix()
        assert not any(
            fnmatch.fnmatch(relative, pattern) or relative.split("/")[0] == pattern
            for pattern in ignored
        ), target
    assert "/usr/local/bin/docker-healthcheck" in _copied_files()


def _owned_directories(user: str) -> set[str]:
    """Directories a RUN makes for `user` (`install -d -o <user> ... <dir> ...`)."""
    owned: set[str] = set()
    for name, args in _instructions():
        for command in args.split("&&") if name == "RUN" else []:
            words = command.split()
            if words[:2] == ["install", "-d"] and "-o" in words:
                assert words[words.index("-o") + 1] == user, command
                owned |= {w for w in words[2:] if w.startswith("/")}
    return owned


def test_the_user_may_write_the_embedded_database_and_the_exports() -> None:
    """`docker run -p 8000:8000 dmi-api` (the embedded SQLite default) stopped at once with
    "cannot use the database (unable to open database file)": ./dmi.db is in the working
    directory /app, which Docker makes for root, and the image runs as its own user."""
    instructions = _instructions()
    [user] = [args.split(":")[0] for name, args in instructions if name == "USER"]
    [workdir] = [args for name, args in instructions if name == "WORKDIR"]
    owned = _owned_directories(user)
    env = _environment()
    url = env.get("DMI_DATABASE_URL", DEFAULT_DATABASE_URL)
    assert url.startswith("sqlite+aiosqlite:///")
    path = Path(workdir, url.removeprefix("sqlite+aiosqlite:///"))
    assert str(path.parent) in owned, path  # SQLite writes its journal beside the file
    assert env["DMI_EXPORT_DIR"] in owned
