"""The README's configuration table and the settings class name the same variables."""

from __future__ import annotations

import re
from pathlib import Path

from dmi_api.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def table_variables() -> list[str]:
    """Every `DMI_*` name in the first cell of a row of the README's configuration table."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Configuration")
    end = text.index("\n## ", start + 1)
    rows = [line for line in text[start:end].splitlines() if line.startswith("| `DMI_")]
    assert rows, "no configuration table under ## Configuration"
    return [name for row in rows for name in re.findall(r"`(DMI_[A-Z0-9_]+)`", row.split("|")[1])]


def settings_variables() -> set[str]:
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


def test_every_setting_has_a_row() -> None:
    assert sorted(settings_variables() - set(table_variables())) == []


def test_every_row_is_a_setting() -> None:
    assert sorted(set(table_variables()) - settings_variables()) == []


def test_no_variable_has_two_rows() -> None:
    names = table_variables()
    assert sorted({n for n in names if names.count(n) > 1}) == []
