"""The `dmi` command as a script runs it, against the served app: children as CSV and NDJSON,
an export into a directory with progress bars, and errors that say what went wrong without the
token or the secret."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dmi_api_client import DmiClient, models
from dmi_api_client.cli import main
from tests.support.commands import dmi as run_dmi
from tests.support.served import Served


def _children(dmi: DmiClient, count: int) -> tuple[str, list[models.ChildPublic]]:
    since = datetime.now(UTC).isoformat()
    family = f"Cli{uuid.uuid4().hex[:8]}"
    made = [
        dmi.children.create(
            {
                "given_name": f"C{i}",
                "family_name": family,
                "birth_date": "2023-03-03",
                "sex": "female",
                "diagnoses": [{"code": "Q90.9", "text": "Down syndrome"}],
            }
        )
        for i in range(count)
    ]
    return since, made


def test_children_list_as_csv_and_ndjson(served: Served, dmi: DmiClient) -> None:
    since, made = _children(dmi, 3)
    env = served.cli_env()
    listed = run_dmi(
        env, "children", "list", "--updated-since", since, "--format", "csv", "--page-size", "2"
    )
    assert listed.returncode == 0, listed.stderr
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert {r["id"] for r in rows} == {str(c.id) for c in made}
    assert list(rows[0]) == list(models.ChildPublic.model_fields)
    assert json.loads(rows[0]["diagnoses"])[0]["code"] == "Q90.9"
    assert "3 children" in listed.stderr

    ndjson = run_dmi(env, "children", "list", "--updated-since", since, "--format", "ndjson")
    assert ndjson.returncode == 0, ndjson.stderr
    parsed = [models.ChildPublic.model_validate_json(line) for line in ndjson.stdout.splitlines()]
    assert {c.id for c in parsed} == {c.id for c in made}


def test_export_into_a_directory_with_progress(
    served: Served, dmi: DmiClient, tmp_path: Path
) -> None:
    since, made = _children(dmi, 2)
    out = tmp_path / "export"
    env = served.cli_env()
    done = run_dmi(
        env, "export", "--since", since, "--type", "children", "--out", str(out), "--progress"
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    [entry] = [f for f in summary["files"] if not f["deleted"]]
    lines = Path(entry["path"]).read_text().splitlines()
    assert {json.loads(line)["id"] for line in lines} == {str(c.id) for c in made}
    assert entry["count"] == 2
    assert summary["transaction_time"]
    assert "100%" in done.stderr  # the bar, on stderr (stdout stays JSON)


def test_errors_name_the_problem_not_the_credentials(served: Served, tmp_path: Path) -> None:
    wrong = served.cli_env(DMI_CLIENT_SECRET="wrong-secret-xyz")
    refused = run_dmi(wrong, "children", "list")
    assert refused.returncode == 1
    assert "refused the client (401)" in refused.stderr
    assert "wrong-secret-xyz" not in refused.stderr + refused.stdout

    jwt_env = {k: v for k, v in served.cli_env().items() if k != "DMI_CLIENT_SECRET"} | {
        "DMI_CLIENT_ID": served.jwt.client_id,
        "DMI_PRIVATE_KEY": str(served.key_path),
        "DMI_KEY_ID": served.jwt.key_id or "",
    }
    scoped = run_dmi(jwt_env | {"DMI_SCOPE": "sessions:read"}, "children", "list")
    assert scoped.returncode == 1
    assert scoped.stderr.startswith("dmi: 403"), scoped.stderr
    assert "Bearer" not in scoped.stderr


def test_usage_errors_exit_2(
    served: Served,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in served.cli_env().items():
        monkeypatch.setenv(name, value)
    assert main(["export", "--type", "nonsense", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("dmi: invalid input: resources")
    monkeypatch.delenv("DMI_URL")
    assert main(["children", "list"]) == 2
    assert "DMI_URL" in capsys.readouterr().err
