"""`make run` shows its install's progress instead of a silent minute."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_run_install_is_not_quiet(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.fail("make is needed (it runs `make run` and `make test`)")
    venv = tmp_path / "venv"
    # -n: the commands a fresh checkout would run for `make run`'s install, without running them.
    planned = subprocess.run(
        ["make", "-n", f"VENV={venv}", f"{venv}/.installed-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    installs = [line for line in planned if "pip install" in line and " -e ." in line]
    assert installs, planned
    for line in installs:
        assert not {"--quiet", "-q"} & set(line.split()), line
    assert any(line.startswith("echo") and "installing dmi-api" in line for line in planned)
