"""docker-compose.yml: PostgreSQL, the migrations as a one-off job the API waits for, the API;
and CHANGELOG.md beside it at the root.

No Docker engine runs the tests: this reads the file as Compose would and checks its wiring."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML comes with uvicorn[standard]

from dmi_api.cli import GRACEFUL_SHUTDOWN_SECONDS
from dmi_api.config import Settings

ROOT = Path(__file__).resolve().parents[1]
# Read by scripts/postgres-setup.sh (in the postgres service) or by the image's entrypoint.
NOT_SETTINGS = {"DMI_DB_NAME", "DMI_DB_OWNER_PASSWORD", "DMI_DB_SERVICE_PASSWORD"}
ENTRYPOINT_VARIABLES = {"DMI_MIGRATE_ON_START"}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    found: dict[str, Any] = document["services"]
    return found


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_four_services(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "migrate", "api", "worker"}
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"].get("restart", "no") == "no"
    assert services["api"]["command"] == ["serve"]
    assert services["worker"]["command"] == ["worker"]
    for name in ("migrate", "api", "worker"):
        assert services[name]["build"] == "."


def test_the_api_and_the_worker_share_the_export_directory(services: dict[str, Any]) -> None:
    # The worker writes export files, the API serves them: the same volume at DMI_EXPORT_DIR.
    mounts = []
    for name in ("api", "worker"):
        directory = _environment(services[name])["DMI_EXPORT_DIR"]
        [mount] = [str(v) for v in services[name]["volumes"] if str(v).endswith(f":{directory}")]
        mounts.append(mount)
    assert mounts[0] == mounts[1]


def test_the_api_waits_for_the_migrations(services: dict[str, Any]) -> None:
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        waits = services[name]["depends_on"]
        assert waits["migrate"]["condition"] == "service_completed_successfully"
        assert waits["postgres"]["condition"] == "service_healthy"


def test_healthchecks(services: dict[str, Any]) -> None:
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])


def test_environment_names_are_settings(services: dict[str, Any]) -> None:
    settings = {f"DMI_{name}".upper() for name in Settings.model_fields}
    for name in ("migrate", "api", "worker"):
        env = _environment(services[name])
        assert {"DMI_DATABASE_URL", "DMI_MIGRATION_DATABASE_URL"} <= set(env), name
        unknown = {k for k in env if k not in settings | ENTRYPOINT_VARIABLES}
        assert unknown == set(), name
    setup = _environment(services["postgres"])
    assert {k for k in setup if k.startswith("DMI_")} <= NOT_SETTINGS | settings


def test_the_postgres_service_runs_the_setup_script(services: dict[str, Any]) -> None:
    mounts = [str(v) for v in services["postgres"]["volumes"]]
    script = [m for m in mounts if "/docker-entrypoint-initdb.d/" in m]
    assert len(script) == 1
    assert (ROOT / script[0].split(":")[0]).resolve() == ROOT / "scripts" / "postgres-setup.sh"


def test_no_password_is_written_in(services: dict[str, Any]) -> None:
    # Every password is the environment's, with an obvious development placeholder by default.
    for name, service in services.items():
        for key, value in _environment(service).items():
            for password in re.findall(r"://[^:/@]+:([^@]+)@", value) + (
                [value] if "PASSWORD" in key else []
            ):
                assert re.fullmatch(r"\$\{[A-Z_]+:-[a-z-]*dev-only\}", password), (name, key)


def test_changelog_has_an_unreleased_section() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog")
    assert "keepachangelog.com" in changelog
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, re.MULTILINE)
    assert headings[0] == "Unreleased"


def test_the_api_may_finish_its_requests_when_stopped(services: dict[str, Any]) -> None:
    """`docker compose stop` sends SIGTERM, then SIGKILL after the service's grace period (10 s
    by default): shorter than the server's own wait for requests in flight, it cut them off."""
    grace = re.fullmatch(r"(\d+)s", str(services["api"].get("stop_grace_period", "10s")))
    assert grace is not None
    assert int(grace[1]) > GRACEFUL_SHUTDOWN_SECONDS
