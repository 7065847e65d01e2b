"""Running the `dmi` command and the examples as subprocesses."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def dmi(
    env: Mapping[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`dmi ARGS` (the console script's module), its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "dmi_api_client.cli", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def example(name: str, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python examples/NAME ARGS`."""
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
