"""The README's "First calls", run as written: its shell blocks against a served app.

The app is `dmi-api serve` (uvicorn on a loopback port) on a database made the README's way
(scripts/postgres-setup.sh, migrated as the owner, served as the service role); the client is
made with `dmi-api clients create --all-scopes`. The blocks run in one bash that stops at the
first failing command (`bash -euo pipefail`; every curl has `--fail-with-body`), and each `#>`
line of the section is a line the blocks must print, in that order.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.serving import serving
from tests.support.setup_script import SetUp, dmi_api, service_env
from tests.support.tools import require_tool

pytestmark = pytest.mark.postgres_only

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## First calls"


def first_calls() -> tuple[str, list[str]]:
    """The section's shell blocks joined in order, and its expected output lines (`#> ...`)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end != -1 else len(text)]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert blocks, "no ```sh blocks in the README's First calls"
    script = "\n".join(blocks)
    expected = [line[3:].rstrip() for line in script.splitlines() if line.startswith("#> ")]
    return script, expected


@pytest.fixture(scope="module")
def served(setup_databases: tuple[SetUp, SetUp], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:  # fmt: skip
    """`dmi-api serve` as database A's service role, and a new all-scopes client of a clinic."""
    database = setup_databases[0]
    env = service_env(database)
    clinic = dmi_api(env, "clinics", "create", "--name", "First Calls Clinic", "--json")
    assert clinic.returncode == 0, clinic.stderr
    client = dmi_api(
        env, "clients", "create", "--clinic", json.loads(clinic.stdout)["clinic_id"],
        "--name", "First calls", "--all-scopes", "--json",
    )  # fmt: skip
    assert client.returncode == 0, client.stderr
    credentials = json.loads(client.stdout)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served_env = env | {"DMI_ISSUER": base, "DMI_LOG_LEVEL": "WARNING"}
    log_path = tmp_path_factory.mktemp("first_calls") / "serve.log"
    with serving(served_env, log_path, port=port):
        yield (
            base,
            {"CLIENT_ID": credentials["client_id"], "CLIENT_SECRET": credentials["client_secret"]},
        )


def test_the_blocks_run_and_print_what_the_readme_shows(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    require_tool("curl")
    require_tool("jq")
    base, credentials = served
    script, expected = first_calls()
    assert len(expected) >= 8, "the README's First calls lost its #> lines"
    path = tmp_path / "first-calls.sh"
    path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMI_")}
    # Twice with the same client: a reader who runs the blocks again does not stumble either.
    for run in ("first", "again"):
        done = subprocess.run(
            ["bash", "-euo", "pipefail", str(path)],
            env=env | credentials | {"DMI_URL": base},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{run}: exit {done.returncode}:\n{done.stdout}\n{done.stderr}"
        printed = [line.rstrip() for line in done.stdout.splitlines()]
        # Each expected line appears, in the README's order.
        position = 0
        for line in expected:
            assert line in printed[position:], f"{run}: {line!r} not after {position}: {printed}"
            position = printed.index(line, position) + 1
        assert re.fullmatch(r"child [0-9a-f-]{36}, prescription item [0-9a-f-]{36}", printed[0])


def test_the_section_covers_the_first_hour() -> None:
    script, _ = first_calls()
    for step in (
        "/oauth/token", "/v1/children", "/v1/practitioners", "/v1/exercises",
        "/v1/prescriptions", "/v1/session-records", '"gmfm88"', "/v1/milestones",
        "/progress", "cursor=", "If-Match: \"1\"", "Idempotency-Key",
    ):  # fmt: skip
        assert step in script, step
    assert "--fail-with-body" in script
