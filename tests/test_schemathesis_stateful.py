"""Schemathesis against `dmi-api serve`: the schema's examples, its boundaries (coverage) and
stateful chains of calls; random fuzzing is tests/test_schemathesis.py's, in process."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dmi_api.config import Settings
from tests.support.serving import serve_env, serving
from tests.support.st_hooks import OWN_CLIENT_ENV, SPARE_CLIENT_ENV
from tests.test_schemathesis import NOT_APPLICABLE_NAMES, _token

pytestmark = pytest.mark.postgres_only
TOKEN_LIFETIME = 900


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server on PostgreSQL (as the non-owner role), started as operators start it."""
    env = serve_env(
        {
            "DMI_DATABASE_URL": settings.database_url_value,
            "DMI_ISSUER": settings.issuer,
            "DMI_DB_POOL_SIZE": "4",
            # The longest lifetime allowed: a run on a busy machine outlasts the default 300 s.
            "DMI_TOKEN_LIFETIME_SECONDS": str(TOKEN_LIFETIME),
            # One client drives the whole run: its quota past what the run asks.
            "DMI_RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
            "DMI_TOKEN_REQUESTS_PER_MINUTE": str(settings.token_requests_per_minute),
        }
    )
    with serving(env, tmp_path_factory.mktemp("stateful") / "serve.log") as base:
        yield base


def test_schemathesis_run_finds_nothing(settings: Settings, server: str, tmp_path: Path) -> None:
    headers = _token(settings, lifetime=TOKEN_LIFETIME)
    # Stateful scenarios long enough for chains to reach the rows that creates link to, short
    # enough for the run to stay near a minute. A change without its required If-Match is
    # refused with 428 Precondition Required (RFC 6585). "Schema-valid request rejected" is
    # checked by the hooks' `positive_data_acceptance_documented`, which `--checks=all` runs.
    (tmp_path / "schemathesis.toml").write_text(
        "[phases.stateful]\nmax-steps = 20\n"
        "[checks.missing_required_header]\n"
        'expected-statuses = ["400", "401", "403", "406", "415", "422", "428"]\n'
    )
    root = Path(__file__).resolve().parents[1]
    token = headers["Authorization"].split()[1]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    spare = httpx.post(
        f"{server}/v1/clients",
        json={"name": "spare", "scopes": ["children:read"]},
        headers=headers,
        timeout=10,
    )
    assert spare.status_code == 201, spare.text
    hooks = {
        "SCHEMATHESIS_HOOKS": "tests.support.st_hooks",
        "PYTHONPATH": str(root),
        OWN_CLIENT_ENV: claims["client_id"],
        SPARE_CLIENT_ENV: spare.json()["client_id"],
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            f"{server}/openapi.json",
            # No fuzzing phase: tests/test_schemathesis.py fuzzes the API with the same checks
            # (400 positive and 400 negative cases drawn across the operations, in process).
            # Here it took 44 s of a 2-minute run on an idle host: the suite's time, twice.
            "--phases=examples,coverage,stateful",
            "--checks=all",
            f"--exclude-checks={','.join(NOT_APPLICABLE_NAMES)}",
            f"--header=Authorization: {headers['Authorization']}",
            "--max-examples=10",
            "--seed=20261124",
            "--request-timeout=10",
            # One worker: CPython 3.11's AST constructor keeps its recursion depth in shared
            # state, and Hypothesis parses lambdas with ast.parse from each worker thread, which
            # fails at random with "AST constructor recursion depth mismatch" (gh-106905).
            # Two threads were not faster here (2m03s vs 2m10s on 2 cores).
            "--workers=1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
        env={**os.environ, **hooks},
    )
    # The failures first (the warnings after them can be long), else the end of the output.
    start = result.stdout.find("FAILURES")
    report = result.stdout[start : start + 8000] if start >= 0 else result.stdout[-6000:]
    assert result.returncode == 0, report
    assert "Stateful" in result.stdout, report
