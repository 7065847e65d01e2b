"""docs/architecture.md stays true: every module and folder it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
SRC = ROOT / "src" / "dmi_api"


def _named_paths() -> set[str]:
    return set(re.findall(r"`((?:src/|tests/)?[\w/]+(?:\.py|/))`", DOC.read_text()))


def test_every_named_module_exists() -> None:
    named = _named_paths()
    assert len(named) > 20
    missing = [
        name for name in sorted(named) if not (ROOT / name).exists() and not (SRC / name).exists()
    ]
    assert missing == []
