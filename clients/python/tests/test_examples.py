"""The three examples, run as a user runs them against the served app."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

from dmi_api_client import DmiClient, models
from tests.support.commands import EXAMPLES, example
from tests.support.ports import free_port
from tests.support.served import Served


def test_nightly_sync_writes_csv_and_moves_its_mark(
    served: Served, dmi: DmiClient, tmp_path: Path
) -> None:
    state, out = tmp_path / "state.json", tmp_path / "csv"
    first = example(
        "nightly_sync_csv.py", served.cli_env(), "--state", str(state), "--out", str(out)
    )
    assert first.returncode == 0, first.stderr
    mark = json.loads(state.read_text())["since"]
    child = dmi.children.create(
        {
            "given_name": "Nightly",
            "family_name": f"N{uuid.uuid4().hex[:6]}",
            "birth_date": "2024-04-04",
            "sex": "male",
        }
    )
    dmi.children.delete(child.id, if_match=child.version)
    second = example(
        "nightly_sync_csv.py", served.cli_env(), "--state", str(state), "--out", str(out)
    )
    assert second.returncode == 0, second.stderr
    assert json.loads(state.read_text())["since"] > mark
    deleted = (out / "deleted.csv").read_text()
    assert str(child.id) in deleted
    assert (out / "children.csv").read_text().splitlines()[0].startswith("id,version,")


def test_mobile_upload_creates_then_replays(served: Served, dmi: DmiClient, tmp_path: Path) -> None:
    child = dmi.children.create(
        {
            "given_name": "Home",
            "family_name": "Practice",
            "birth_date": "2023-09-09",
            "sex": "female",
        }
    )
    run = uuid.uuid4().hex[:8]
    logs = [
        {
            "log_id": f"{run}-{day}",
            "child_id": str(child.id),
            "started_at": f"2026-03-0{day}T17:30:00-05:00",
            "minutes": 20,
        }
        for day in range(2, 5)
    ] + [
        {
            "log_id": f"{run}-bad",
            "child_id": str(uuid.uuid4()),
            "started_at": "2026-03-05T17:30:00Z",
            "minutes": 20,
        }
    ]
    path = tmp_path / "logs.json"
    path.write_text(json.dumps(logs))
    first = example("mobile_upload.py", served.cli_env(), str(path))
    assert first.returncode == 1  # the log of an unknown child is refused alone
    assert first.stdout.count(" created ") == 3
    assert "refused 422" in first.stdout
    again = example("mobile_upload.py", served.cli_env(), str(path))
    assert again.stdout.count(" replayed ") == 3
    records = list(dmi.session_records.list(child_id=child.id))
    assert len(records) == 3
    assert {r.type for r in records} == {"home_practice"}


def test_webhook_receiver_verifies_deliveries(served: Served, dmi: DmiClient) -> None:
    port = free_port()
    endpoint = dmi.webhook_endpoints.create(
        models.WebhookEndpointCreate(
            url=f"http://127.0.0.1:{port}/", event_types=["practitioner.created"]
        )
    )
    env = served.cli_env(DMI_WEBHOOK_SECRET=endpoint.secret)
    receiver = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "webhook_receiver.py"), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        assert "listening" in receiver.stdout.readline()
        practitioner = dmi.practitioners.create({"name": "Ana Ruiz", "discipline": "PT"})
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and "practitioner.created" not in line:
            line = receiver.stdout.readline()
        assert line.strip() == f"practitioner.created /v1/practitioners/{practitioner.id}"
    finally:
        receiver.terminate()
        receiver.wait(10)
        if receiver.stdout is not None:
            receiver.stdout.close()
        dmi.webhook_endpoints.delete(endpoint.id, if_match=endpoint.version)
