"""docs/clinical-rules.md names every rule version the code emits; docs link inside the repo."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import dmi_api.clinical

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "clinical-rules.md"
# `RULE`, `GMFCS_RULE`, ... (a version string) and `PDMS_RULES` (instrument -> version).
RULE_NAME = re.compile(r"(?:[A-Z0-9]+_)?RULES?")
VERSION = re.compile(r"[a-z0-9][a-z0-9.-]*(?:@[a-z0-9.-]+)?")


def rule_versions() -> set[str]:
    """Every rule version string defined by the modules of `dmi_api.clinical`."""
    found: set[str] = set()
    for module_info in pkgutil.iter_modules(dmi_api.clinical.__path__):
        module = importlib.import_module(f"dmi_api.clinical.{module_info.name}")
        for name, value in vars(module).items():
            if not RULE_NAME.fullmatch(name):
                continue
            values = list(value.values()) if isinstance(value, dict) else [value]
            found.update(v for v in values if isinstance(v, str) and VERSION.fullmatch(v))
    return found


def test_the_code_defines_the_rules_it_reports() -> None:
    # Guards the collector itself: a renamed constant must not empty the check below.
    versions = rule_versions()
    assert len(versions) >= 11, versions
    assert any(v.startswith("corrected-age@") for v in versions)
    assert any(v.startswith("gmfcs-er@") for v in versions)
    assert any(v.startswith("adherence@") for v in versions)


def test_the_rules_document_names_every_rule_version() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    named = set(re.findall(r"`([^`]+)`", text))
    missing = sorted(rule_versions() - named)
    assert not missing, f"docs/clinical-rules.md does not name {missing}"


def test_readme_and_docs_link_inside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/clinical-rules.md)" in readme
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text, f"{path.name} points outside the repository"
        for target in re.findall(r"\]\(([^)\s]+)", text):
            if "://" in target or target.startswith(("#", "mailto:")):
                continue
            resolved = (path.parent / target.split("#")[0]).resolve()
            assert resolved.is_relative_to(ROOT), f"{path.name}: {target} leaves the repository"
            assert resolved.exists(), f"{path.name}: {target} does not exist"
